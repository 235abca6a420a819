#!/usr/bin/env bash
# The teardown cases again on the path a kernel before v6.16 takes (see test_exit_compat.sh):
# a teardown starts at the exit of the namespace init's last thread, which that path finds
# differently.
export REAPWATCH_EXIT_COMPAT=1 REAPWATCH_CASE_SUFFIX=_compat
exec bash "$(dirname "$0")/test_teardown.sh"
