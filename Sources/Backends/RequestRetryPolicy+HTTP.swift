import FleetConfig
import HTTP

extension RequestRetryPolicy {
    /// The outcome of an HTTP response for ``decide(attempt:idempotent:outcome:unit:)``.
    public static func outcome(of response: HTTPClient.Response, message: String) -> Outcome {
        let retryAfter = response.status == 429 || response.status == 503 ? response.retryAfter : nil
        return .response(status: response.status, retryAfter: retryAfter, message: message)
    }

    /// The outcome of a transfer failure.
    public static func outcome(of error: HTTPClientError) -> Outcome {
        .transport(isTimeout: error.isTimeout, requestWasNotSent: error.requestWasNotSent, message: error.description)
    }
}
