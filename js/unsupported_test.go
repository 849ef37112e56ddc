package js

import (
	"errors"
	"strings"
	"testing"
)

// TestUnsupportedAPIsFailAtLoad: a script using a k6 API throng lacks is
// refused by Load, naming the API and the line that uses it.
func TestUnsupportedAPIsFailAtLoad(t *testing.T) {
	cases := []struct{ name, src, want, at string }{
		{"k6/ws", "import ws from 'k6/ws';\nexport default function () { ws.connect(); }\n",
			"k6/ws is not supported by throng (WebSockets", "script.js:1:"},
		{"throng alias", "\nimport { Client } from 'throng/net/grpc';\nexport default function () {}\n",
			"k6/net/grpc is not supported by throng", "script.js:2:"},
		{"experimental", "import redis from 'k6/experimental/redis';\nexport default function () {}\n",
			"k6/experimental/redis is not supported by throng (experimental", "script.js:1:"},
		{"browser", "import { browser } from 'k6/browser';\nexport default function () {}\n",
			"k6/browser is not supported by throng", "script.js:1:"},
		{"extension", "import kafka from 'k6/x/kafka';\nexport default function () {}\n",
			"k6/x/kafka is not supported by throng (xk6 extensions", "script.js:1:"},
		{"require", "const grpc = require('k6/net/grpc');\nexport default function () {}\n",
			"k6/net/grpc is not supported by throng", "script.js:1:"},
		{"unknown named import", "import http, { foo } from 'k6/http';\nexport default function () { foo(); }\n",
			"k6/http.foo does not exist: k6/http exports CookieJar, TLS_1_0, TLS_1_1, TLS_1_2, TLS_1_3, asyncRequest, batch, cookieJar, del", "script.js:1:"},
		{"unsupported named import", "import { check } from 'k6';\nimport { OCSP_STATUS_GOOD } from 'k6/http';\nexport default function () {}\n",
			"k6/http.OCSP_STATUS_GOOD is not supported by throng (OCSP", "script.js:2:"},
		{"namespace member", "import * as crypto from 'k6/crypto';\nexport default function () {\n  crypto.md4('x', 'hex');\n}\n",
			"k6/crypto.md4 is not supported by throng (MD4", "script.js:3:"},
		{"jslib export", "import { check } from 'https://jslib.k6.io/k6-utils/1.5.0/index.js';\nexport default function () {}\n",
			"k6/utils.check is not supported by throng", "script.js:1:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, map[string]string{"script.js": c.src}, "script.js")
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.at) || !errors.Is(err, ErrScript) {
				t.Errorf("err = %v\nwant a script error at %s containing %q", err, c.at, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "undefined is not a function") {
				t.Errorf("goja's TypeError leaked: %v", err)
			}
		})
	}
}

// TestUnsupportedAPIThroughDefaultExport: crypto.md4 cannot be seen at
// build time through the default export; calling it throws naming it.
func TestUnsupportedAPIThroughDefaultExport(t *testing.T) {
	h := newHarness(t, `import crypto from 'k6/crypto';
export default function () {
  crypto.md4('x', 'hex');
}`, nil)
	h.iterate(h.vu(1), 1)
	h.bundle.cfg.Log.Close()
	if log := h.log.String(); !strings.Contains(log, "k6/crypto.md4 is not supported by throng") || !strings.Contains(log, "script.js:3:") {
		t.Errorf("log = %q", log)
	}
}

// TestBuiltinImportsStillWork covers the import styles the virtual
// modules must keep working: default, named, namespace, require, throng/…
// and jslib URLs, and unknown modules still fail with the module list.
func TestBuiltinImportsStillWork(t *testing.T) {
	expectAllPass(t, `
import http from 'k6/http';
import * as metrics from 'k6/metrics';
import { check as tcheck } from 'throng';
import { b64encode } from 'throng/encoding';
import { uuidv4, randomIntBetween } from 'https://jslib.k6.io/k6-utils/1.2.0/index.js';
import * as utils from 'https://jslib.k6.io/k6-utils/1.6.0/index.js';
const k6 = require('k6');
const enc = require('k6/encoding');
export default function () {
  tcheck(null, {
    'default': () => typeof http.get === 'function' && typeof http.batch === 'function',
    'namespace': () => typeof metrics.Counter === 'function',
    'require': () => typeof k6.check === 'function' && enc.b64encode('a') === 'YQ==',
    'throng alias': () => b64encode('a') === 'YQ==',
    'jslib named': () => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuidv4()),
    'jslib namespace': () => { const n = utils.randomIntBetween(3, 4); return n === 3 || n === 4; },
    'jslib int': () => Number.isInteger(randomIntBetween(1, 10)),
  });
}`, 7)
	b, err := load(t, map[string]string{"u.js": "import x from 'https://example.com/lib.js';\nexport default function () {}\n"}, "u.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err = b.Options(); err == nil || !strings.Contains(err.Error(), "does not fetch modules over the network") {
		t.Errorf("unknown remote module: %v", err)
	}
}

// TestEveryBuiltinModuleIsCheckedAtBuild: each built-in module must list
// its exports without a real VU, or scripts importing names it lacks
// would only fail when the line runs.
func TestEveryBuiltinModuleIsCheckedAtBuild(t *testing.T) {
	for name := range builtinModules {
		names, ok := moduleExportNames(name)
		if !ok || len(names) == 0 {
			t.Errorf("%s: its exports cannot be listed at build time (%v); its builder must not need a running VU", name, names)
		}
	}
	if _, ok := moduleExportNames("k6/nope"); ok {
		t.Error("an unknown module has exports")
	}
}
