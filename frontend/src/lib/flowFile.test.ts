import { describe, expect, it } from 'vitest';
import { sampleGraph } from '../test/fixtures';
import { flowFileName, parseFlowFile, toFlowFile } from './flowFile';

describe('flow files', () => {
  it('exports name, description and graph only', () => {
    const file = toFlowFile({ name: 'Greeting', description: 'hi', graph: sampleGraph() });
    expect(Object.keys(file)).toEqual(['name', 'description', 'graph']);
  });

  it('reads an export back', () => {
    const text = JSON.stringify(toFlowFile({ name: 'Greeting', description: 'hi', graph: sampleGraph() }));
    expect(parseFlowFile(text)).toEqual({ name: 'Greeting', description: 'hi', graph: sampleGraph() });
  });

  it('accepts a bare graph, naming it after the file', () => {
    expect(parseFlowFile(JSON.stringify(sampleGraph()), 'my-flow').name).toBe('my-flow');
  });

  it('says what is wrong with a bad file', () => {
    expect(() => parseFlowFile('nope')).toThrow(/not JSON/);
    expect(() => parseFlowFile('{"name": "x"}')).toThrow(/no graph/);
    expect(() => parseFlowFile('{"graph": {"nodes": 3}}')).toThrow(/no graph/);
  });

  it('makes a file name from the flow name', () => {
    expect(flowFileName('My Flow: v2!')).toBe('my-flow-v2.json');
    expect(flowFileName('???')).toBe('flow.json');
  });
});
