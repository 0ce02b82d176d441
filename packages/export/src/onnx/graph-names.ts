/** Graph input and output names (a file of its own so that browser code can name them without the graph builder). */
export const GRAPH_NAMES = {
  observed: 'observed',
  probabilities: 'probabilities',
  logits: 'logits',
  combination: 'combination',
  topkExperts: 'topk_experts',
  topkGates: 'topk_gates',
} as const;
