#!/usr/bin/env bash
# The reparent cases again on the path a kernel before v6.16 takes (see test_exit_compat.sh),
# and test_reparent_more's races between threads and processes exiting together: there the
# thread that walks a dying process's children is the first to see signal->live at zero,
# not the kernel's group_dead thread, and a sibling that loses that claim tells of its own
# children.
export REAPWATCH_EXIT_COMPAT=1 REAPWATCH_CASE_SUFFIX=_compat
rc=0
bash "$(dirname "$0")/test_reparent.sh" || rc=1
REAPWATCH_CASES="reparent_subreaper_exits_with_father reparent_threads_exit_with_children" \
	bash "$(dirname "$0")/test_reparent_more.sh" || rc=1
exit "$rc"
