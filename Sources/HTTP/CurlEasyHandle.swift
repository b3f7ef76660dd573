@preconcurrency import CCurl

/// A libcurl easy handle and its error buffer. Lives on the loop thread only; pooled for reuse.
final class CurlEasyHandle {
    let pointer: UnsafeMutableRawPointer
    /// Where curl writes a detailed message when a transfer fails (`CURLOPT_ERRORBUFFER`).
    let errorBuffer: UnsafeMutablePointer<CChar>

    init?() {
        guard let pointer = curl_easy_init() else { return nil }
        self.pointer = pointer
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(self.pointer)
        self.errorBuffer.deallocate()
    }

    /// Clears every option for the next transfer; the multi handle keeps connections and DNS cache.
    func reset() {
        curl_easy_reset(self.pointer)
        self.errorBuffer[0] = 0
    }

    /// curl's message for the last failure: the error buffer, or the generic text for `code`.
    func errorMessage(for code: CURLcode) -> String {
        if self.errorBuffer[0] != 0 {
            return String(cString: self.errorBuffer)
        }
        return String(cString: curl_easy_strerror(code))
    }

    func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try Self.check(tf_curl_easy_setopt_long(self.pointer, option, value), option)
    }

    func set(_ option: CURLoption, offset value: Int64) throws(HTTPClientError) {
        try Self.check(tf_curl_easy_setopt_off(self.pointer, option, curl_off_t(value)), option)
    }

    func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        let code = value.withCString { tf_curl_easy_setopt_string(self.pointer, option, $0) }
        try Self.check(code, option)
    }

    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws(HTTPClientError) {
        try Self.check(tf_curl_easy_setopt_pointer(self.pointer, option, value), option)
    }

    func set(_ option: CURLoption, list value: UnsafeMutablePointer<curl_slist>?) throws(HTTPClientError) {
        try Self.check(tf_curl_easy_setopt_slist(self.pointer, option, value), option)
    }

    func set(_ option: CURLoption, callback value: tf_curl_data_callback) throws(HTTPClientError) {
        try Self.check(tf_curl_easy_setopt_data_callback(self.pointer, option, value), option)
    }

    func info(long info: CURLINFO) -> Int {
        var value = 0
        return tf_curl_easy_getinfo_long(self.pointer, info, &value) == CURLE_OK ? value : 0
    }

    func info(offset info: CURLINFO) -> Int64 {
        var value: curl_off_t = 0
        return tf_curl_easy_getinfo_off(self.pointer, info, &value) == CURLE_OK ? Int64(value) : 0
    }

    func info(string info: CURLINFO) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        guard tf_curl_easy_getinfo_string(self.pointer, info, &value) == CURLE_OK, let value else { return nil }
        return String(cString: value)
    }

    private static func check(_ code: CURLcode, _ option: CURLoption) throws(HTTPClientError) {
        guard code != CURLE_OK else { return }
        throw HTTPClientError(
            code: .invalidRequest,
            message: "curl refused option \(option.rawValue): \(String(cString: curl_easy_strerror(code)))",
            curlCode: Int(code.rawValue),
            requestWasNotSent: true
        )
    }
}
