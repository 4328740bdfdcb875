// Placeholder: replaced by the emulator setup (Firestore + Pub/Sub).
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
