// @tcbpf/pipeline — the example app wiring the stack into an ingress/egress pipeline.
export { stackPackages } from './stack.js';
export type { StackPackage } from './stack.js';
export { Scenario, ScenarioError, runScenario, formatStats } from './scenario.js';
export type { RunOptions, RunResult, TraceEntry, DeviceStats } from './scenario.js';
export { Args, UsageError, splitWords, matches } from './iproute2/args.js';
export type { Word } from './iproute2/args.js';
export { parseTc, encodeTcRequest, execTc } from './iproute2/tc.js';
export type { TcRequest, TcCommand } from './iproute2/tc.js';
export { QDISC_KINDS, printQdiscMsg, qdiscMsgJson } from './iproute2/tc-qdisc.js';
export type { QdiscKind } from './iproute2/tc-qdisc.js';
export { FILTER_KINDS, printFilterMsg } from './iproute2/tc-filter.js';
export type { FilterKind } from './iproute2/tc-filter.js';
export { ACTION_KINDS, parseActions, printActions } from './iproute2/tc-action.js';
export type { ActionKind, TcEnv } from './iproute2/tc-action.js';
export { getRate64, getSize, getTcClassid, sprintRate, sprintSize, sprintTcClassid } from './iproute2/tc-util.js';
export { openProgram, verifyProgram, disasmProgram, prepareRun, progVerify, progDisasm, progRun, progRunCapture, isCaptureFile, formatKernelError } from './prog-tools.js';
export type { ProgSource, ProgToolOutput, ProgOpenOptions, VerifyReport, ProgRunInput, ProgRunReport, ProgRunner, ProgRunCliOptions, ProgRunPacket } from './prog-tools.js';
