// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The --config file, read from an anonymous memory file so the loader sees
 * the exact bytes. A loaded config is applied to sink options and freed; a
 * refused one must say why, with its position.
 */
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512] = "";
	int fd = fz_memfd(data, size, path, sizeof(path));
	struct ng_config cfg;
	int r = ng_config_load(path, &cfg, err, sizeof(err));
	if (r == 0) {
		struct ng_sinks_opts so;
		memset(&so, 0, sizeof(so));
		ng_config_apply_sinks(&cfg, &so);
		for (size_t i = 0; i < cfg.noutputs; i++)
			if (!cfg.outputs[i])
				fz_fail("output %zu is NULL", i);
		ng_config_free(&cfg);
	} else if (!err[0] || strncmp(err, path, strlen(path)) != 0) {
		fz_fail("refused (%d) without a message naming the file: '%s'", r, err);
	}
	close(fd);
	return 0;
}
