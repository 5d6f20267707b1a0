// Documents and other binary files: read_document (PDF, Office, OpenDocument, CSV as text, through
// core's documents module) and read_binary_file (any file as a base64 blob resource, capped).
import { pathToFileURL } from 'node:url';
import { annotations, documentArgs, documentOptions, documentOutput, documentText, extractDocument, isUnsupportedDocument, richResult, sniffDocument, ToolError } from '@bizmcp/core';
import { z } from 'zod';
import { looksBinary, mediaType } from '../files.js';
import { sandboxOf, tool } from '../state.js';

/**
 * Which tool reads a file, from its first bytes: every refusal names one that accepts the file,
 * so no hint sends a model back and forth between two tools that both refuse it.
 */
export function otherReader(path: string, head: Uint8Array): string {
  if (mediaType(path, head.subarray(0, 16))) return 'It is an image or audio file: use read_media_file.';
  const kind = sniffDocument(head);
  if (kind === 'pdf' || kind === 'zip' || kind === 'cfb' || kind === 'rtf')
    return kind === 'pdf' ? 'It is a PDF: use read_document.' : 'It may be a document: use read_document (PDF, Office, OpenDocument); read_binary_file returns any file as base64.';
  if (!looksBinary(head)) return 'It is text: use read_text_file.';
  return 'read_binary_file returns its bytes as base64.';
}

const pathArg = z.string().min(1).max(4096).describe('File path: absolute, or relative to the first allowed directory');

export const readDocument = tool({
  name: 'read_document',
  toolset: 'read',
  title: 'Read document (PDF, Word, Excel, PowerPoint)',
  description:
    'Read the text of a business document inside the allowed directories: PDF (text per page), Word .docx and OpenDocument text (headings, lists and tables as markdown), Excel .xlsx, OpenDocument spreadsheets and CSV (each sheet as a markdown table with row numbers), PowerPoint .pptx and OpenDocument presentations (text per slide, then speaker notes). The format is detected from the content. Choose pages (PDF, slides), a sheet and rows (workbooks) to read part of a large document; long text comes in windows of max_chars with nextCursor. Not read: images, scanned pages without a text layer, formulas (their values are shown), legacy .doc/.xls/.ppt, RTF, password-protected files. Hidden sheets and slides are left out unless include_hidden; hidden Word text is always left out.',
  input: z.object({ path: pathArg, ...documentArgs }),
  output: z.object({ path: z.string(), size: z.number(), ...documentOutput }),
  annotations: annotations.read(),
  timeoutMs: 120_000,
  text: (r) => documentText(r, `${r.path} (${r.type}${r.pages ? `, ${r.pages} ${r.type === 'pdf' ? 'pages' : 'slides'}` : ''})`),
  run: async (args, ctx) => {
    const { data, path, stat } = await sandboxOf(ctx).readFile(args.path, { maxBytes: ctx.state.config.maxDocumentBytes });
    try {
      const r = await extractDocument(data, documentOptions(args, ctx, path));
      return { path, size: stat.size, ...r };
    } catch (e) {
      if (!isUnsupportedDocument(e)) throw e;
      const err = e as ToolError;
      throw new ToolError(err.message, { code: err.code, hint: `${err.hint ? `${err.hint} ` : ''}${otherReader(path, data)}` });
    }
  },
});

export const readBinaryFile = tool({
  name: 'read_binary_file',
  toolset: 'read',
  title: 'Read any file as base64',
  description:
    'Return any file inside the allowed directories as an embedded resource with its bytes in base64 (a blob), for files no other tool reads: archives, executables, fonts, proprietary formats. Prefer read_text_file for text, read_document for PDF/Office documents and read_media_file for images and audio. Files over FS_MAX_BINARY_BYTES (default 10 MB) are refused.',
  input: z.object({ path: pathArg }),
  output: z.object({ path: z.string(), mimeType: z.string(), size: z.number(), uri: z.string() }),
  annotations: annotations.read(),
  run: async ({ path: p }, ctx) => {
    const max = ctx.state.config.maxBinaryBytes;
    const { data, path, stat } = await sandboxOf(ctx)
      .readFile(p, { maxBytes: max })
      .catch((e: unknown) => {
        if (e instanceof ToolError && e.code === 'too_large')
          throw new ToolError(e.message, { code: 'too_large', hint: `read_binary_file returns at most ${max} bytes (FS_MAX_BINARY_BYTES); get_file_info shows its size and type.` });
        throw e;
      });
    const mimeType = mediaType(path, data.subarray(0, 16)) ?? 'application/octet-stream';
    const uri = pathToFileURL(path).href;
    return richResult(
      { path, mimeType, size: stat.size, uri },
      { text: `${mimeType}, ${stat.size} bytes: ${path}`, content: [{ type: 'resource', resource: { uri, mimeType, blob: data.toString('base64') } }] },
    );
  },
});

export const documentTools = [readDocument, readBinaryFile];
