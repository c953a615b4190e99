// Package report sends the start event over Connect to where tbot would
// send it, with one deadline, bounded retries and
// a client that this program owns. Whether to send at all is package optin's
// decision. It reads the environment only through the getenv it is given.
//
// One concept per file:
//
//   - send.go: Send, its deadline and its retries
//   - endpoint.go: where to send, and what of the endpoint stays out of logs
//   - client.go: the HTTP client, its transports and certificate roots
//   - proxy.go: HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the injected env
//   - bounded.go: what is read of an answer, and what it showed
//   - classify.go: a failed call turned into a short, safe SendError
//   - sanitize.go: what of a server's own message may reach the logs
package report
