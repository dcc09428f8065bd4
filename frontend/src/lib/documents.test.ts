import { describe, expect, it } from 'vitest';
import { documentProblem, formatBytes } from './documents';

const file = (name: string, type = '', size = 10) => ({ name, type, size });

describe('documents', () => {
  it('takes text, Markdown, HTML and PDF', () => {
    expect(documentProblem(file('notes.md'))).toBeNull();
    expect(documentProblem(file('page.HTML'))).toBeNull();
    expect(documentProblem(file('paper.pdf', 'application/pdf'))).toBeNull();
    expect(documentProblem(file('README', 'text/plain'))).toBeNull();
  });

  it('says why it refuses a file', () => {
    expect(documentProblem(file('photo.png', 'image/png'))).toBe('photo.png: unsupported file type; send text, Markdown, HTML or PDF.');
    expect(documentProblem(file('empty.txt', 'text/plain', 0))).toMatch(/empty/);
    expect(documentProblem(file('big.txt', 'text/plain', 30 * 1024 * 1024))).toMatch(/larger than 20.0 MB/);
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
    expect(formatBytes(undefined)).toBe('');
  });
});
