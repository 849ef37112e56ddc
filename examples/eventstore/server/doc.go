// Package server is a small, fast, in-process stand-in for EventStoreDB's
// HTTP API, meant as a target for load tests (see ../scenario.js).
//
// It implements the subset of the API that load-test scenarios use, closely
// enough that a scenario written against it also runs unchanged against a
// real EventStoreDB with its HTTP interface enabled:
//
//	POST /streams/{stream}                          append events
//	GET  /streams/{stream}                          head page: the 20 newest events
//	GET  /streams/{stream}/{from}/forward/{count}   page of events, oldest first in the stream
//	GET  /streams/{stream}/{from}/backward/{count}  page of events going back from {from}
//	GET  /streams/{stream}/{n}                      one event ({n} may also be "head")
//
// # Appending
//
// A POST carries Content-Type application/vnd.eventstore.events+json and a
// JSON array of events:
//
//	[{"eventId": "<uuid>", "eventType": "OrderPlaced", "data": {...}, "metadata": {...}}]
//
// The optional ES-ExpectedVersion header is -2 (any version, the default),
// -1 (the stream must not exist yet) or n (the stream's last event number
// must be exactly n). A mismatch is answered with 400, the header
// ES-CurrentVersion (-1 when the stream does not exist) and the body
// "Wrong expected EventNumber". Success is 201 Created with a Location
// header naming the first new event. The events of one request are appended
// atomically; event numbers start at 0 in every stream.
//
// # Reading
//
// Pages are atom feeds in EventStoreDB's JSON form
// (Accept: application/vnd.eventstore.atom+json). As in EventStoreDB the
// entries of a page are listed newest first, whichever direction the page
// was read in. With ?embed=body every entry carries eventId, eventType,
// eventNumber, streamId, isJson and the event's data and metadata as JSON
// strings; with ?embed=rich the entries carry the same fields except data
// and metadata; without embed they carry only the atom fields (title, id,
// updated, summary, links). A page holds at most 4096 events.
//
// A single event is served as its data, byte for byte as it was written,
// when the client asks for application/json, and as an atom entry whose
// content.data holds the data when it asks for
// application/vnd.eventstore.atom+json.
//
// Missing streams and events are 404; unsupported methods are 405.
//
// # Storage
//
// A [Store] holds the streams. [NewMemoryStore] keeps them in memory;
// [OpenDiskStore] keeps an append-only JSON-lines file per stream in a
// directory, fsynced according to an [FsyncPolicy], and loads the files
// again when reopened. Both are safe for concurrent use: each stream has its
// own lock, and the expected-version check is atomic with the append.
//
// # Accounting
//
// [Handler] counts every response it writes by HTTP status, at the moment
// the status line is written, so that a load test can compare the number of
// requests its client sent with the number the target served; see
// [Handler.Stats] and [FormatStats].
package server
