// Files a knowledge base takes (knowledge/parsing.py): text, Markdown, HTML, PDF.

export const DOCUMENT_SUFFIXES = ['.txt', '.text', '.md', '.markdown', '.rst', '.csv', '.json', '.log', '.html', '.htm', '.pdf'];
export const DOCUMENT_ACCEPT = [...DOCUMENT_SUFFIXES, 'text/plain', 'text/markdown', 'text/html', 'application/pdf'].join(',');

/** A sentence saying why the file is not sent, or null when it may be. */
export function documentProblem(file: Pick<File, 'name' | 'type' | 'size'>, maxBytes = 20 * 1024 * 1024): string | null {
  const name = file.name.toLowerCase();
  const type = (file.type || '').toLowerCase();
  const known =
    DOCUMENT_SUFFIXES.some((suffix) => name.endsWith(suffix)) ||
    type.startsWith('text/') ||
    type === 'application/pdf';
  if (!known) return `${file.name}: unsupported file type; send text, Markdown, HTML or PDF.`;
  if (file.size === 0) return `${file.name}: the file is empty.`;
  if (file.size > maxBytes) return `${file.name}: larger than ${formatBytes(maxBytes)}.`;
  return null;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
