// @tcbpf/testing — private test support for the workspace.
export { fuzzFull, fuzzRuns, fuzzSeed } from './fuzz.js';
export { Netns, hasTool, kernelOracle } from './kernel.js';
export type { KernelOracle } from './kernel.js';
export { kernelVerify, verifyOracle } from './verify-oracle.js';
export type { OracleLoad, OracleMap, OracleResult, VerifyOracle } from './verify-oracle.js';
export { cbpfSocketOracle } from './cbpf-oracle.js';
export type { CbpfSocketOracle, CbpfOracleOptions, CbpfOracleResult, OracleInsn } from './cbpf-oracle.js';
export { BpfOracle, BpfOracleError, bpfOracle, must } from './bpf-oracle.js';
export type { BpfOracleStatus, BpfOracleResult, OracleProgInfo, TestRunOut } from './bpf-oracle.js';
export { kernelVerifyFunc } from './verify-func-oracle.js';
export type { OracleFunc, OracleFuncLoad } from './verify-func-oracle.js';
export { bpfOracleIn } from './netns-bpf-oracle.js';
export { CgroupDirs, bpfOracleWithFds, cgroup2Mount } from './cgroup-bpf-oracle.js';
export type { FdBpfOracle } from './cgroup-bpf-oracle.js';
export { heapBytesPerOp } from './heap-growth.js';
export type { HeapGrowthOptions } from './heap-growth.js';
