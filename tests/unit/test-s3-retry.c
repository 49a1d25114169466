/* Covers the retry policy of src/storage/s3/s3-client.c: which answers are
 * retried, and the bounds of the backoff with full jitter. */
#include "config.h"

#include "storage/s3/s3-client.h"
#include "tap.h"

int
main(void)
{
	long max1 = 0, max3 = 0, max20 = 0, min1 = 1000000, d;
	int i;

	ok(s3_retryable_status(500, "InternalError"), "500 InternalError is retried");
	ok(s3_retryable_status(503, "SlowDown"), "503 SlowDown is retried");
	ok(s3_retryable_status(502, NULL), "502 without a body is retried");
	ok(s3_retryable_status(429, NULL), "429 is retried");
	ok(s3_retryable_status(200, "InternalError"), "an <Error> inside a 200 is retried");
	ok(!s3_retryable_status(400, "RequestTimeout"), "400 is never retried");
	ok(!s3_retryable_status(400, "SlowDown"), "400 is never retried, whatever its code");
	ok(!s3_retryable_status(403, "SignatureDoesNotMatch"), "403 is never retried");
	ok(!s3_retryable_status(404, "NoSuchKey"), "404 is never retried");
	ok(!s3_retryable_status(409, "OperationAborted"), "other 4xx are not retried");

	for (i = 0; i < 2000; i++) {
		d = s3_backoff_ms(1);
		if (d > max1) max1 = d;
		if (d < min1) min1 = d;
		d = s3_backoff_ms(3);
		if (d > max3) max3 = d;
		d = s3_backoff_ms(20);
		if (d > max20) max20 = d;
	}
	ok(min1 >= 0 && max1 <= 200, "first retry waits 0 to 200 ms (got up to %ld)", max1);
	ok(max1 > 100, "  spread over the range (full jitter)");
	ok(max3 <= 800 && max3 > 400, "third retry waits up to 800 ms (got up to %ld)", max3);
	ok(max20 <= 20000 && max20 > 10000, "the wait is capped at 20 s (got up to %ld)", max20);
	return tap_done();
}
