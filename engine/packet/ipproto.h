/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IP protocol numbers (IANA) by name, for every part of the engine: the C
 * library's IPPROTO_* plus the two it may lack. One place, so no file
 * spells a protocol as a bare number.
 */
#ifndef TUNDRA_IPPROTO_H
#define TUNDRA_IPPROTO_H

#include <netinet/in.h>

#ifndef IPPROTO_HIP
#define IPPROTO_HIP 139     /* Host Identity Protocol (RFC 7401): an IPv6 extension header */
#endif
#ifndef IPPROTO_SHIM6
#define IPPROTO_SHIM6 140   /* Shim6 (RFC 5533): an IPv6 extension header */
#endif

#endif
