#ifndef SLUICE_CSNAPPY_SHIM_H
#define SLUICE_CSNAPPY_SHIM_H
#include <snappy-c.h>
#endif
