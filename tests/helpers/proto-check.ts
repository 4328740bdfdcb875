/**
 * Strict checks of proto3 JSON against the protos a Google client package ships. The clients
 * silently drop unknown fields and tolerate unknown enum names, so a misspelt field in the
 * sandbox would read as empty in the bot; these checks fail on it instead.
 */
import { createRequire } from 'node:module';
import { protobuf, serializer } from 'google-gax';

const require = createRequire(import.meta.url);

export type ProtoPackage = 'run' | 'functions' | 'scheduler';

/** The package's own protos.json, resolved, so every field knows its type. */
export function loadProtos(pkg: ProtoPackage): protobuf.Root {
  const json = require(`@google-cloud/${pkg}/build/protos/protos.json`) as protobuf.INamespace;
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
  return root;
}

const int32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const int64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const wrappers: Record<string, string> = {
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.BytesValue': 'bytes',
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkScalar(type: string, value: unknown, path: string, out: string[]): void {
  const bad = (what: string) => out.push(`${path}: expected ${what} (${type}), got ${JSON.stringify(value)}`);
  if (type === 'string') {
    if (typeof value !== 'string') bad('a string');
  } else if (type === 'bool') {
    if (typeof value !== 'boolean') bad('a boolean');
  } else if (int32.has(type)) {
    if (typeof value !== 'number' || !Number.isInteger(value)) bad('an integer number');
  } else if (int64.has(type)) {
    // Google APIs write 64-bit integers as decimal strings.
    if (typeof value !== 'string' || !/^-?\d+$/.test(value)) bad('a decimal string');
  } else if (type === 'double' || type === 'float') {
    if (typeof value !== 'number') bad('a number');
  } else if (type === 'bytes') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) bad('base64');
  } else {
    out.push(`${path}: unresolved type ${type}`);
  }
}

function checkValue(
  root: protobuf.Root,
  field: protobuf.Field,
  value: unknown,
  path: string,
  out: string[],
): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) {
    const known =
      typeof value === 'string'
        ? value in resolved.values
        : typeof value === 'number' && value in resolved.valuesById;
    if (!known) out.push(`${path}: ${JSON.stringify(value)} is not a value of ${resolved.fullName}`);
  } else if (resolved instanceof protobuf.Type) {
    checkMessage(root, resolved, value, path, out);
  } else {
    checkScalar(field.type, value, path, out);
  }
}

function checkMessage(
  root: protobuf.Root,
  type: protobuf.Type,
  value: unknown,
  path: string,
  out: string[],
): void {
  switch (type.fullName) {
    case '.google.protobuf.Timestamp':
      if (typeof value !== 'string' || !rfc3339.test(value))
        out.push(`${path}: expected an RFC 3339 timestamp string`);
      return;
    case '.google.protobuf.Duration':
      if (typeof value !== 'string' || !/^-?\d+(\.\d{1,9})?s$/.test(value))
        out.push(`${path}: expected a duration like "3.5s"`);
      return;
    case '.google.protobuf.FieldMask':
      if (typeof value !== 'string') out.push(`${path}: expected a field mask string`);
      return;
    case '.google.protobuf.Struct':
    case '.google.protobuf.Value':
    case '.google.protobuf.ListValue':
      return;
  }
  const wrapped = wrappers[type.fullName];
  if (wrapped) {
    checkScalar(wrapped, value, path, out);
    return;
  }
  if (!isObject(value)) {
    out.push(`${path}: expected an object for ${type.fullName}`);
    return;
  }
  let target = type;
  let entries = Object.entries(value);
  if (type.fullName === '.google.protobuf.Any') {
    const url = value['@type'];
    const found = typeof url === 'string' ? root.lookup(url.replace(/^.*\//, '')) : null;
    if (!(found instanceof protobuf.Type)) {
      out.push(`${path}: Any with unknown @type ${JSON.stringify(url)}`);
      return;
    }
    target = found;
    entries = entries.filter(([k]) => k !== '@type');
  }
  const oneofs = new Map<string, string>();
  for (const [key, v] of entries) {
    const at = `${path}.${key}`;
    const field = target.fields[key];
    if (!field) {
      out.push(`${at}: no field "${key}" in ${target.fullName}`);
      continue;
    }
    if (v === null) {
      out.push(`${at}: null (the real APIs omit unset fields)`);
      continue;
    }
    if (field.partOf) {
      const other = oneofs.get(field.partOf.name);
      if (other) out.push(`${at}: oneof ${field.partOf.name} already set by ${other}`);
      oneofs.set(field.partOf.name, key);
    }
    if (field.repeated) {
      if (!Array.isArray(v)) out.push(`${at}: expected a list`);
      else for (const [i, item] of v.entries()) checkValue(root, field, item, `${at}[${i}]`, out);
    } else if (field.map) {
      if (!isObject(v)) out.push(`${at}: expected a map object`);
      else for (const [k, item] of Object.entries(v)) checkValue(root, field, item, `${at}.${k}`, out);
    } else {
      checkValue(root, field, v, at, out);
    }
  }
}

/**
 * Problems with `json` as proto3 JSON of `typeName` (empty when it is fine): unknown fields,
 * wrong scalar types, unknown enum values, malformed timestamps, and anything the client's
 * own decoder (proto3-json-serializer, as used by gax on REST) rejects.
 */
export function protoProblems(root: protobuf.Root, typeName: string, json: unknown): string[] {
  const type = root.lookupType(typeName);
  const out: string[] = [];
  checkMessage(root, type, json, typeName.replace(/^.*\./, ''), out);
  try {
    const message = serializer.fromProto3JSON(type, json as serializer.JSONValue);
    const invalid = message ? type.verify(message) : 'decoded to null';
    if (invalid) out.push(`client decoder: ${invalid}`);
  } catch (error) {
    out.push(`client decoder: ${(error as Error).message}`);
  }
  return out;
}

/** Decode as the client does (enum names, `{seconds, nanos}` times), to compare two encodings. */
export function decodeAsClient(root: protobuf.Root, typeName: string, json: unknown): unknown {
  const type = root.lookupType(typeName);
  const message = serializer.fromProto3JSON(type, json as serializer.JSONValue);
  return message ? type.toObject(message, { enums: String, longs: String, defaults: false }) : null;
}
