// Models kernel/cgroup/cgroup.c (Linux 6.18), the part BPF needs: the cgroup
// v2 (default) hierarchy as a tree of named cgroups with ids (the root is
// cgrp_dfl_root.cgrp, id 1), mkdir/rmdir of cgroup directories, opening a
// cgroup directory (open("/sys/fs/cgroup/PATH"), resolved by
// cgroup_v1v2_get_from_fd) and cgroup_is_descendant (the ancestor_ids walk of
// include/linux/cgroup.h). Tasks, controllers and cgroup v1 are not modelled.
// One hierarchy belongs to one simulated kernel instance (BpfSyscall.cgroups).
import { KernelError } from '@tcbpf/base';

/** NAME_MAX: longest cgroup directory name. */
const NAME_MAX = 255;

/** One cgroup (`struct cgroup`): a directory of the cgroup2 hierarchy. */
export class Cgroup {
  /** cgroup_id (kernfs node id); the root's is 1. */
  readonly id: number;
  /** Directory name ('' for the root). */
  readonly name: string;
  /** Parent cgroup, undefined for the root. */
  readonly parent: Cgroup | undefined;
  /** Depth below the root (cgrp->level). */
  readonly level: number;
  /** Ancestors by level, this cgroup last (cgrp->ancestors[]). */
  readonly ancestors: readonly Cgroup[];
  /** False once removed (rmdir): a map slot may still hold it, as a kernel reference does. */
  online = true;
  readonly children = new Map<string, Cgroup>();

  constructor(id: number, name: string, parent: Cgroup | undefined) {
    this.id = id;
    this.name = name;
    this.parent = parent;
    this.level = parent === undefined ? 0 : parent.level + 1;
    this.ancestors = Object.freeze(parent === undefined ? [this] : [...parent.ancestors, this]);
  }

  /** Path below the mount ('/' for the root), as /proc/PID/cgroup shows it. */
  get path(): string {
    return this.parent === undefined ? '/' : `/${this.ancestors.slice(1).map((c) => c.name).join('/')}`;
  }

  /** cgroup_is_descendant(this, ancestor): true when `ancestor` is this cgroup or above it. No allocation. */
  isDescendantOf(ancestor: Cgroup): boolean {
    return ancestor.level <= this.level && this.ancestors[ancestor.level] === ancestor;
  }
}

/** The cgroup v2 hierarchy of one simulated kernel (what is mounted at /sys/fs/cgroup). */
export class CgroupHierarchy {
  /** The default hierarchy's root cgroup (id 1). */
  readonly root: Cgroup = new Cgroup(1, '', undefined);
  #nextId = 2;

  /** Split a path below the mount into checked components ('' and '/' are the root). */
  #components(path: string): string[] {
    if (typeof path !== 'string') throw new KernelError('EFAULT', 'cgroup path is not a string', { where: 'path' });
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    for (const p of parts) {
      if (p === '..') throw new KernelError('EINVAL', `cgroup path "${path}" has "..": give paths below the mount`, { where: 'path' });
      if (p.includes('\0')) throw new KernelError('EINVAL', `cgroup path "${path}" has a NUL byte`, { where: 'path' });
      if (new TextEncoder().encode(p).length > NAME_MAX) throw new KernelError('ENAMETOOLONG', `cgroup name "${p.slice(0, 16)}..." is longer than ${NAME_MAX} bytes`, { where: 'path' });
    }
    return parts;
  }

  /** The cgroup at `path` below the mount (ENOENT when absent). */
  lookup(path: string): Cgroup {
    let c = this.root;
    for (const p of this.#components(path)) {
      const next = c.children.get(p);
      if (next === undefined) throw new KernelError('ENOENT', `no cgroup "${p}" under ${c.path}`, { where: 'path' });
      c = next;
    }
    return c;
  }

  /** mkdir of a cgroup directory: the parent must exist (ENOENT); an existing name is EEXIST. */
  mkdir(path: string): Cgroup {
    const parts = this.#components(path);
    const name = parts.pop();
    if (name === undefined) throw new KernelError('EEXIST', 'the root cgroup exists', { where: 'path' });
    const parent = this.lookup(parts.join('/'));
    if (name.includes('\n')) throw new KernelError('EINVAL', 'cgroup names cannot contain a newline', { where: 'path' });
    if (parent.children.has(name) || name.startsWith('cgroup.'))
      throw new KernelError('EEXIST', `"${name}" exists under ${parent.path} (or names a cgroup.* control file)`, { where: 'path' });
    const c = new Cgroup(this.#nextId++, name, parent);
    parent.children.set(name, c);
    return c;
  }

  /** rmdir of a cgroup directory: EBUSY with children or for the root; the cgroup goes offline. */
  rmdir(path: string): void {
    const c = this.lookup(path);
    if (c.parent === undefined) throw new KernelError('EBUSY', 'cannot remove the root cgroup', { where: 'path' });
    if (c.children.size > 0) throw new KernelError('EBUSY', `cgroup ${c.path} has child cgroups`, { where: 'path' });
    c.parent.children.delete(c.name);
    c.online = false;
  }
}
