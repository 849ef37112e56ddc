package metrics

// batchSize is how many samples a Buffer gathers before handing them over:
// large enough that the channel send is rare, small enough that a batch is
// a few KB.
const batchSize = 256

// flushAfter is the longest a sample waits in a Buffer that keeps receiving
// samples, in nanoseconds, so live outputs stay close to real time.
const flushAfter = int64(200e6)

// Buffer gathers the samples of one producer (a VU) and hands them to the
// engine in batches. It is owned by one goroutine and is not safe for
// concurrent use.
type Buffer struct {
	engine  *Engine
	batch   []Sample
	firstAt int64
}

// Add appends a sample, handing the batch over when it is full or when its
// oldest sample is older than flushAfter.
func (b *Buffer) Add(s Sample) {
	if len(b.batch) == 0 {
		if b.batch == nil {
			b.batch = b.engine.getBatch()
		}
		b.firstAt = s.Time
	}
	b.batch = append(b.batch, s)
	if len(b.batch) >= batchSize || s.Time-b.firstAt > flushAfter {
		b.Flush()
	}
}

// Flush hands any buffered samples to the engine. Producers call it at the
// end of each iteration and before they block (sleep). A nil Buffer
// holds nothing.
func (b *Buffer) Flush() {
	if b == nil || len(b.batch) == 0 {
		return
	}
	b.engine.send(b.batch)
	b.batch = nil // taken from the pool at the next Add: idle VUs hold no batch
}
