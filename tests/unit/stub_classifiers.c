/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stand-in for the classifier table, linked only into the registry unit test
 * and fuzzer so they do not depend on every protocol's code: two known apps
 * with fixed ids the tests can assert on.
 */
#include <string.h>

#include "classifier.h"

static const char *const stub_names[] = { "unknown", "wireguard", "openvpn" };

int classifier_id_by_name(const char *name)
{
	unsigned int i;

	for (i = 1; i < sizeof(stub_names) / sizeof(stub_names[0]); i++)
		if (strcmp(name, stub_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *classifier_name(unsigned int id)
{
	return id < sizeof(stub_names) / sizeof(stub_names[0]) ? stub_names[id] : "unknown";
}
