package js

import (
	"os"
	"testing"
	"github.com/evanw/esbuild/pkg/api"
)

func TestZZDump(t *testing.T) {
	res := api.Build(api.BuildOptions{EntryPoints: []string{os.Getenv("DUMP")}, Bundle: true, Format: api.FormatCommonJS, Platform: api.PlatformNeutral, Target: api.ES2017, External: builtinPrefixes, Write: false, Outfile: "/tmp/x.js", Charset: api.CharsetUTF8})
	code, n := cheapInterop(string(res.OutputFiles[0].Contents))
	t.Logf("replaced %d\n%s", n, code)
}
