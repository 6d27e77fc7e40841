/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one table of classifiers, made from classifiers.def, and the
 * id <-> name helpers. Adding a protocol = one file exporting a
 * struct classifier cls_<name> + one line in classifiers.def. The contract
 * every classifier relies on is written in classifier.h.
 */
#include <string.h>

#include "classifier.h"

#define CLASSIFIER(n) extern const struct classifier cls_##n;
#include "classifiers.def"
#undef CLASSIFIER

const struct classifier *const tundra_classifiers[] = {
#define CLASSIFIER(n) &cls_##n,
#include "classifiers.def"
#undef CLASSIFIER
};

const unsigned int tundra_n_classifiers = sizeof(tundra_classifiers) / sizeof(tundra_classifiers[0]);

int classifier_id_by_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (unsigned int i = 0; i < tundra_n_classifiers; i++)
		if (strcmp(tundra_classifiers[i]->name, name) == 0)
			return (int)i + 1;
	return -1;
}

const char *classifier_name(unsigned int id)
{
	if (id == 0 || id > tundra_n_classifiers)
		return "unknown";
	return tundra_classifiers[id - 1]->name;
}

bool classifier_ends_are_peers(unsigned int id, const char *check)
{
	if (id == 0 || id > tundra_n_classifiers)
		return false;
	const struct classifier *cl = tundra_classifiers[id - 1];
	if (cl->flags & CLS_F_PEERS)
		return true;
	for (const char *const *c = cl->peer_checks; c != NULL && *c != NULL && check != NULL; c++)
		if (*c == check)
			return true;
	return false;
}
