#ifndef CLUMEN_PROCESS_H
#define CLUMEN_PROCESS_H

/// Asks the kernel to send `signal` to this process when its parent dies (prctl PR_SET_PDEATHSIG).
/// prctl is variadic, so Swift cannot call it. Returns 0, or -1 with errno set; does nothing
/// and returns 0 where the call does not exist (not Linux).
int lumen_set_parent_death_signal(int signal);

#endif
