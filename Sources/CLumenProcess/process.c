#include "CLumenProcess.h"

#if defined(__linux__)
#include <sys/prctl.h>

int lumen_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0) == 0 ? 0 : -1;
}
#else
int lumen_set_parent_death_signal(int signal) {
    (void)signal;
    return 0;
}
#endif
