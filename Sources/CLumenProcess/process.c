#include "CLumenProcess.h"

#if defined(__linux__)
#include <sys/prctl.h>

int lumen_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0) == 0 ? 0 : -1;
}

int lumen_set_dumpable(int dumpable) {
    return prctl(PR_SET_DUMPABLE, (unsigned long)(dumpable ? 1 : 0), 0, 0, 0) == 0 ? 0 : -1;
}

int lumen_is_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}
#else
int lumen_set_parent_death_signal(int signal) {
    (void)signal;
    return 0;
}

int lumen_set_dumpable(int dumpable) {
    (void)dumpable;
    return 0;
}

int lumen_is_dumpable(void) {
    return 1;
}
#endif
