#ifndef TILEFLEET_CPROJ_SHIM_H
#define TILEFLEET_CPROJ_SHIM_H
#include <proj.h>
/* Karney's geodesic routines ship inside libproj: used for ellipsoidal polygon areas. */
#include <geodesic.h>
#endif
