/**
 * The line of a multi-line error that says what went wrong: for a Python traceback the last
 * unindented line ("ModuleNotFoundError: No module named 'shared'"), for a Node stack the line
 * before the first `    at …` frame, for a Java stack trace the exception line with its
 * deepest `Caused by:` appended. Anything else: its first non-empty line.
 */

const PY_TRACEBACK = 'Traceback (most recent call last):';
/** A frame of a Node stack ("    at fn (file:1:2)") or a Java one ("\tat pkg.Cls.m(Cls.java:3)"). */
const STACK_FRAME = /^\s+at\s/;
/** "    ... 12 more" closing a Java cause. */
const JAVA_ELIDED = /^\s+\.\.\. \d+ more$/;
const JAVA_CAUSE = /^Caused by: (.+)$/;
/** An exception line: a (dotted) type name ending in Error or Exception, then a colon or nothing. */
const EXCEPTION_LINE =
  /^(?:Uncaught )?(?:Exception in thread "[^"]*" )?[\w$.]*(?:Error|Exception)\b(?::.*)?$/;

export function exceptionLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trimEnd());
  const nonEmpty = lines.filter((l) => l.trim() !== '');
  const first = nonEmpty[0] ?? '';
  if (lines.some((l) => l.trim() === PY_TRACEBACK)) return pythonException(lines) ?? first;
  const frame = lines.findIndex((l) => STACK_FRAME.test(l));
  if (frame < 0) return first.trim();
  return stackException(lines, frame) ?? first.trim();
}

/** Python prints the exception last, unindented; chained exceptions print the final one last. */
function pythonException(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line.trim() === '' || /^\s/.test(line)) continue;
    if (line === PY_TRACEBACK) return undefined;
    return line;
  }
  return undefined;
}

function stackException(lines: string[], firstFrame: number): string | undefined {
  let head: string | undefined;
  for (let i = firstFrame - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (EXCEPTION_LINE.test(line)) {
      head = line;
      break;
    }
  }
  // Node prints a message's further lines between the exception line and the frames; with no
  // exception-shaped line at all, the first line is the best there is.
  head ??= lines
    .slice(0, firstFrame)
    .find((l) => l.trim() !== '')
    ?.trim();
  if (!head) return undefined;
  const causes = lines
    .filter((l) => !STACK_FRAME.test(l) && !JAVA_ELIDED.test(l))
    .map((l) => JAVA_CAUSE.exec(l.trim())?.[1])
    .filter((c): c is string => c !== undefined);
  const root = causes.at(-1);
  return root && root !== head ? `${head} ← caused by ${root}` : head;
}
