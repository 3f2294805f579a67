// @tcbpf/pipeline — the example app wiring the stack into an ingress/egress pipeline.
export { stackPackages } from './stack.js';
export type { StackPackage } from './stack.js';
