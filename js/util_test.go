package js

import (
	"context"
	"time"
)

func contextWithTimeoutMS(ms int) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Duration(ms)*time.Millisecond)
}
