/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The outer identifiers of a packet (struct pkt_outer) in words, for flow
 * records and tests. Off the packet path: parse.c itself stays free of
 * stdio. Reads only the fields that pkt_outer's counts and bits say are
 * valid, so it is safe on any pkt_outer parse_packet() filled in.
 */
#include <inttypes.h>

#include "parse.h"

#define LABEL_NAME(E, name, help) name,
static const char *const encap_names[] = {TUNDRA_ENCAPS(LABEL_NAME)};
#undef LABEL_NAME

const char *parse_encap_name(unsigned int kind)
{
	return kind < ENCAP_COUNT ? encap_names[kind] : "?";
}

void parse_outer_json(const struct pkt_outer *o, FILE *out)
{
	const char *sep = "";
	fputc('{', out);
	if (o->n_layers > 0) {
		fputs("\"encap\":[", out);
		for (unsigned int i = 0; i < o->n_layers && i < PARSE_MAX_LAYERS; i++)
			fprintf(out, "%s\"%s\"", i ? "," : "", parse_encap_name(o->layer[i]));
		fputc(']', out);
		sep = ",";
	}
	if (o->n_vlans > 0) {
		fprintf(out, "%s\"vlan\":[%u", sep, o->vlan[0]);
		if (o->n_vlans > 1)
			fprintf(out, ",%u", o->vlan[1]);
		fputc(']', out);
		sep = ",";
	}
	if (o->kinds & (1u << ENCAP_MPLS)) {
		fprintf(out, "%s\"mpls\":{\"top\":%" PRIu32 ",\"bottom\":%" PRIu32 "}", sep, o->mpls_top,
			o->mpls_bottom);
		sep = ",";
	}
	if (o->flags & OUTER_HAS_GRE_KEY) {
		fprintf(out, "%s\"gre_key\":%" PRIu32, sep, o->gre_key);
		sep = ",";
	}
	if (o->kinds & (1u << ENCAP_VXLAN)) {
		fprintf(out, "%s\"vni\":%" PRIu32, sep, o->vni);
		sep = ",";
	}
	if (o->kinds & (1u << ENCAP_GTPU))
		fprintf(out, "%s\"teid\":%" PRIu32, sep, o->teid);
	fputc('}', out);
}
