#ifndef TILEFLEET_CGEOS_SHIM_H
#define TILEFLEET_CGEOS_SHIM_H
/* Only the reentrant (_r) API: every context belongs to one thread at a time. */
#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
#endif
