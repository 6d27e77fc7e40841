/* SPDX-License-Identifier: BSD-3-Clause */
/* The subcommands main.c dispatches to, one file each. argv[0] is the command's name. */
#ifndef TUNDRA_COMMANDS_H
#define TUNDRA_COMMANDS_H

int cmd_classify(int argc, char **argv);
int cmd_run(int argc, char **argv);
/* argv[0] is the subcommand ("check"), argv[1] the file. */
int cmd_registry(int argc, char **argv);

#endif
