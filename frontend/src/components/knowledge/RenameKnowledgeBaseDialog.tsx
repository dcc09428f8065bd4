import { useState, type FormEvent } from 'react';
import { describeError } from '../../api/client';
import { patchKnowledgeBase } from '../../api/knowledge';
import type { KnowledgeBase } from '../../api/types';
import { Dialog } from '../ui/Dialog';

/** A knowledge base's name and description. */
export function RenameKnowledgeBaseDialog({ kb, onClose, onSaved }: { kb: KnowledgeBase; onClose: () => void; onSaved: (kb: KnowledgeBase) => void }) {
  const [name, setName] = useState(kb.name);
  const [description, setDescription] = useState(kb.description);
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setProblem('The knowledge base needs a name.');
    setSaving(true);
    setProblem(null);
    try {
      onSaved(await patchKnowledgeBase(kb.id, { name: name.trim(), description: description.trim() }));
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Dialog title="Rename knowledge base" onClose={onClose} testId="rename-knowledge-base-dialog">
      <form onSubmit={submit} noValidate>
        <label className="field">
          <span className="field__label">Name</span>
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-autofocus data-testid="knowledge-base-name" />
        </label>
        <label className="field">
          <span className="field__label">Description</span>
          <textarea className="input" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        {problem && (
          <p className="error-text" role="alert">
            {problem}
          </p>
        )}
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={saving} data-testid="knowledge-base-save">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
