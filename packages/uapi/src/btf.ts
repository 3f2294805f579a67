// Models include/uapi/linux/btf.h (Linux 6.18): the BTF header, type kinds,
// type-record sizes and the BTF.ext header of tools/lib/bpf/libbpf_internal.h
// (struct btf_ext_header). Interface facts, not code.

/** BTF header constants. */
export const BTF_HEADER = Object.freeze({
  MAGIC: 0xeb9f,
  VERSION: 1,
  /** struct btf_header: magic u16, version u8, flags u8, hdr_len u32, type_off, type_len, str_off, str_len */
  SIZE: 24,
  /** struct btf_type: name_off u32, info u32, size/type u32 */
  TYPE_SIZE: 12,
  MAX_TYPE: 0x000fffff,
  MAX_NAME_OFFSET: 0x00ffffff,
  MAX_VLEN: 0xffff,
} as const);

/** `BTF_KIND_*` (info bits 24-28). */
export const BTF_KIND = Object.freeze({
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8,
  VOLATILE: 9, CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15,
  FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const);

/** Bytes that follow `struct btf_type` for one member of vlen (per kind), or fixed extra bytes. */
export const BTF_KIND_EXTRA = Object.freeze({
  /** INT: one u32 encoding */
  INT: 4,
  /** ARRAY: struct btf_array { type, index_type, nelems } */
  ARRAY: 12,
  /** STRUCT/UNION: struct btf_member { name_off, type, offset } per member */
  MEMBER: 12,
  /** ENUM: struct btf_enum { name_off, val } per value */
  ENUM: 8,
  /** ENUM64: struct btf_enum64 { name_off, val_lo32, val_hi32 } per value */
  ENUM64: 12,
  /** FUNC_PROTO: struct btf_param { name_off, type } per parameter */
  PARAM: 8,
  /** VAR: struct btf_var { linkage } */
  VAR: 4,
  /** DATASEC: struct btf_var_secinfo { type, offset, size } per variable */
  VAR_SECINFO: 12,
  /** DECL_TAG: struct btf_decl_tag { component_idx } */
  DECL_TAG: 4,
} as const);

/** `enum btf_func_linkage` and BTF_VAR_* linkage. */
export const BTF_LINKAGE = Object.freeze({
  FUNC_STATIC: 0, FUNC_GLOBAL: 1, FUNC_EXTERN: 2,
  VAR_STATIC: 0, VAR_GLOBAL_ALLOCATED: 1, VAR_GLOBAL_EXTERN: 2,
} as const);

/** `struct btf_ext_header` (libbpf_internal.h): magic, version, flags, hdr_len, then (off, len) pairs. */
export const BTF_EXT_HEADER = Object.freeze({
  MAGIC: 0xeb9f,
  /** up to line_info_len */
  MIN_SIZE: 24,
  FUNC_INFO_OFF: 8, FUNC_INFO_LEN: 12, LINE_INFO_OFF: 16, LINE_INFO_LEN: 20,
  /** present when hdr_len >= 32 */
  CORE_RELO_OFF: 24, CORE_RELO_LEN: 28,
} as const);
