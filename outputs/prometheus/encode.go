package prometheus

import (
	"math"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"
)

// The remote-write 1.0 messages (prometheus/prompb types.proto and
// remote.proto), of which the output sends these fields:
//
//	message WriteRequest { repeated TimeSeries timeseries = 1; }
//	message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//	message Label        { string name = 1; string value = 2; }
//	message Sample       { double value = 1; int64 timestamp = 2; }
const (
	fieldWriteRequestTimeseries = 1
	fieldSeriesLabels           = 1
	fieldSeriesSamples          = 2
	fieldLabelName              = 1
	fieldLabelValue             = 2
	fieldSampleValue            = 1
	fieldSampleTimestamp        = 2
)

// Label is one Prometheus label.
type label struct{ name, value string }

// timeSeries is one series of a WriteRequest with its single sample. The
// labels are sorted by name and include __name__.
type timeSeries struct {
	labels    []label
	value     float64
	timestamp int64 // Unix milliseconds
}

func labelSize(l label) int {
	return protowire.SizeTag(fieldLabelName) + protowire.SizeBytes(len(l.name)) +
		protowire.SizeTag(fieldLabelValue) + protowire.SizeBytes(len(l.value))
}

func sampleSize(ts *timeSeries) int {
	return protowire.SizeTag(fieldSampleValue) + protowire.SizeFixed64() +
		protowire.SizeTag(fieldSampleTimestamp) + protowire.SizeVarint(uint64(ts.timestamp))
}

func seriesSize(ts *timeSeries) int {
	n := 0
	for _, l := range ts.labels {
		n += protowire.SizeTag(fieldSeriesLabels) + protowire.SizeBytes(labelSize(l))
	}
	return n + protowire.SizeTag(fieldSeriesSamples) + protowire.SizeBytes(sampleSize(ts))
}

// appendWriteRequest appends the protobuf encoding of a WriteRequest
// holding series to b. Every field is written, zeros included: that is
// valid proto3, and what the decoders of every receiver accept.
func appendWriteRequest(b []byte, series []timeSeries) []byte {
	for i := range series {
		ts := &series[i]
		b = protowire.AppendTag(b, fieldWriteRequestTimeseries, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(seriesSize(ts)))
		for _, l := range ts.labels {
			b = protowire.AppendTag(b, fieldSeriesLabels, protowire.BytesType)
			b = protowire.AppendVarint(b, uint64(labelSize(l)))
			b = protowire.AppendTag(b, fieldLabelName, protowire.BytesType)
			b = protowire.AppendString(b, l.name)
			b = protowire.AppendTag(b, fieldLabelValue, protowire.BytesType)
			b = protowire.AppendString(b, l.value)
		}
		b = protowire.AppendTag(b, fieldSeriesSamples, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(sampleSize(ts)))
		b = protowire.AppendTag(b, fieldSampleValue, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(ts.value))
		b = protowire.AppendTag(b, fieldSampleTimestamp, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(ts.timestamp))
	}
	return b
}

// encodeWriteRequest is the body of a remote-write POST: the WriteRequest
// in snappy's block format (not its stream format), as the protocol says.
func encodeWriteRequest(series []timeSeries) []byte {
	return snappy.Encode(nil, appendWriteRequest(nil, series))
}
