/**
 * Seeds the Firestore emulator's run_history with a scenario's documents, so the real
 * Firestore adapter reads what the sandbox's other APIs describe.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { SimRunHistoryDoc } from './state.js';

const BATCH = 500;

/**
 * Replace the collection's contents with `docs`. Date values (top level or nested) are
 * stored as Timestamps: the client library converts them on write.
 */
export async function seedRunHistory(
  db: Firestore,
  collection: string,
  docs: SimRunHistoryDoc[],
): Promise<void> {
  const ref = db.collection(collection);
  for (;;) {
    // select() with no fields reads ids only.
    const page = await ref.select().limit(BATCH).get();
    if (page.empty) break;
    const batch = db.batch();
    for (const doc of page.docs) batch.delete(doc.ref);
    await batch.commit();
  }
  for (let i = 0; i < docs.length; i += BATCH) {
    const batch = db.batch();
    for (const doc of docs.slice(i, i + BATCH)) batch.set(ref.doc(doc.id), doc.data);
    await batch.commit();
  }
}
