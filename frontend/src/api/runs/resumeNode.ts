import { request } from '../client';

/** POST /api/runs/<id>/nodes/<node_id>/resume/ — answers an approval node. */
export async function resumeNode(runId: string, nodeId: string, approved: boolean, comment: string): Promise<void> {
  await request<unknown>(
    'POST',
    `/api/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(nodeId)}/resume/`,
    { approved, comment },
  );
}
