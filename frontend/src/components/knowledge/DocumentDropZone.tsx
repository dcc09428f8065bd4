import { useRef, useState, type DragEvent } from 'react';
import { DOCUMENT_ACCEPT } from '../../lib/documents';
import './DocumentDropZone.css';

/** Drop files here, or choose them with the button (keyboard users). */
export function DocumentDropZone({ onFiles }: { onFiles: (files: File[]) => void }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer.types).includes('Files');
  return (
    <div
      className={`dropzone${over ? ' dropzone--over' : ''}`}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        setOver(false);
        onFiles(Array.from(e.dataTransfer.files));
      }}
      data-testid="dropzone"
    >
      <p>
        Drop files here, or{' '}
        <button type="button" className="button button--small" onClick={() => inputRef.current?.click()} data-testid="choose-files">
          Choose files…
        </button>
      </p>
      <p className="muted small">Text, Markdown, HTML or PDF; up to 20 MB each. Several at once are fine.</p>
      <input
        ref={inputRef}
        type="file"
        multiple
        accept={DOCUMENT_ACCEPT}
        hidden
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = '';
          onFiles(files);
        }}
        data-testid="document-input"
      />
    </div>
  );
}
