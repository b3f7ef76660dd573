#ifndef TILEFLEET_CPROJ_SHIM_H
#define TILEFLEET_CPROJ_SHIM_H
#include <proj.h>
#endif
