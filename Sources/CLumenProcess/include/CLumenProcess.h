#ifndef CLUMEN_PROCESS_H
#define CLUMEN_PROCESS_H

/// Asks the kernel to send `signal` to this process when its parent dies (prctl PR_SET_PDEATHSIG).
/// prctl is variadic, so Swift cannot call it. Returns 0, or -1 with errno set; does nothing
/// and returns 0 where the call does not exist (not Linux).
int lumen_set_parent_death_signal(int signal);

/// Sets whether this process may be dumped or traced (prctl PR_SET_DUMPABLE). A process that is
/// not dumpable has its /proc/PID files (environ, mem, maps, fd) owned by root, so another process
/// of the same user cannot read its environment or memory. The flag goes back to 1 at execve, so
/// children are unaffected. Returns 0, or -1 with errno set; 0 and nothing done where not Linux.
int lumen_set_dumpable(int dumpable);

/// 1 when this process is dumpable, 0 when not (prctl PR_GET_DUMPABLE); 1 where not Linux.
int lumen_is_dumpable(void);

#endif
