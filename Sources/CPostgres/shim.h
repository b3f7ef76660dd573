#ifndef TILEFLEET_CPOSTGRES_SHIM_H
#define TILEFLEET_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
