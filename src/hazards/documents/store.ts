/**
 * The one writer of `hazard_documents`: the PDFs kept with a hazard, by name (`notice`, `review-1`, …, `plan`), and
 * the outbox's attachments that point at them (`hazard-document:<id>`: the sender uploads the bytes at send time).
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, like, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { hazardDocuments } from '../../db/schema/index.js';
import type { FileAttachment } from '../../feishu/outbox.js';

export interface StoredDocument {
  id: number;
  name: string;
  title: string;
  fileName: string;
  size: number;
  sha256: string;
  createdAt: Date;
}

const LISTED = {
  id: hazardDocuments.id,
  name: hazardDocuments.name,
  title: hazardDocuments.title,
  fileName: hazardDocuments.fileName,
  size: hazardDocuments.size,
  sha256: hazardDocuments.sha256,
  createdAt: hazardDocuments.createdAt,
};

/**
 * Keeps a document under `name`, or replaces the one of that name (a resubmitted plan): in the caller's transaction,
 * so that the document exists if and only if the change that issued it does. Answers its row.
 */
export async function saveDocument(
  db: Db,
  input: { hazardId: number; name: string; title: string; fileName: string; content: Buffer; now: Date },
): Promise<StoredDocument> {
  const values = {
    hazardId: input.hazardId,
    name: input.name,
    title: input.title,
    fileName: input.fileName,
    content: input.content,
    size: input.content.length,
    sha256: createHash('sha256').update(input.content).digest('hex'),
    createdAt: input.now,
  };
  const [row] = await db
    .insert(hazardDocuments)
    .values(values)
    .onConflictDoUpdate({
      target: [hazardDocuments.hazardId, hazardDocuments.name],
      set: {
        title: values.title,
        fileName: values.fileName,
        content: values.content,
        size: values.size,
        sha256: values.sha256,
        createdAt: values.createdAt,
      },
    })
    .returning(LISTED);
  return row!;
}

/** A hazard's documents, oldest first, without their bytes. */
export async function listDocuments(db: Db, hazardId: number): Promise<StoredDocument[]> {
  return db
    .select(LISTED)
    .from(hazardDocuments)
    .where(eq(hazardDocuments.hazardId, hazardId))
    .orderBy(asc(hazardDocuments.createdAt), asc(hazardDocuments.id));
}

/** One document of a hazard with its bytes; null when it has none of that name. */
export async function loadDocument(
  db: Db,
  hazardId: number,
  name: string,
): Promise<(StoredDocument & { content: Buffer }) | null> {
  const [row] = await db
    .select({ ...LISTED, content: hazardDocuments.content })
    .from(hazardDocuments)
    .where(and(eq(hazardDocuments.hazardId, hazardId), eq(hazardDocuments.name, name)))
    .limit(1);
  return row ?? null;
}

/** How many documents of a hazard have names starting `prefix` (the reviews so far: `review-`). */
export async function countDocuments(db: Db, hazardId: number, prefix: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(hazardDocuments)
    .where(and(eq(hazardDocuments.hazardId, hazardId), like(hazardDocuments.name, `${prefix}%`)));
  return row?.n ?? 0;
}

const ATTACHMENT = /^hazard-document:(\d+)$/;

/** The outbox's reference to a stored document: the sender loads it with loadAttachment when it sends. */
export function attachmentOf(document: Pick<StoredDocument, 'id'>): string {
  return `hazard-document:${document.id}`;
}

/** The file an outbox attachment names, for the sender to upload; null when it names nothing stored. */
export async function loadAttachment(db: Db, attachment: string): Promise<FileAttachment | null> {
  const id = Number(ATTACHMENT.exec(attachment)?.[1]);
  if (!Number.isSafeInteger(id)) return null;
  const [row] = await db
    .select({ fileName: hazardDocuments.fileName, content: hazardDocuments.content })
    .from(hazardDocuments)
    .where(eq(hazardDocuments.id, id))
    .limit(1);
  return row ? { file: row.content, fileName: row.fileName, fileType: 'pdf' } : null;
}
