"""Signing a report (ký số, PAdES) while the process serves tablets: ecabinet beside pyHanko's SimpleSigner.

    .venv/bin/python bench/signing.py [--quick] [--pages 12] [--rounds 20]

The process patches itself with gevent as gunicorn's gevent worker does. A greenlet stands for the
tablets' traffic: it wakes every 5 ms and notes the time. For each round a PDF of N pages (ecabinet's
own fpdf2 output, Vietnamese text) is signed twice, in alternating order, with a self-signed office
certificate (RSA 2048, `flask --app ecabinet signing demo-cert`'s kind):

- **pyHanko**: `SimpleSigner.load` from the PEM files, then `sign_pdf`, on the loop — as pyHanko's
  documentation does it, and as ecabinet did before;
- **ecabinet**: `ecabinet.common.signing.sign_if_configured`, as the minutes and the ballot report call it.

For each: the wall time of the signing and the longest gap between two turns of the traffic greenlet
during it (what every socket of the process waited at worst). ecabinet's first signing, which reads
and checks the office's key, is reported apart.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import io  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import harness  # noqa: E402
from flask import Flask  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402

from ecabinet.common.signing import make_demo_certificate, sign_if_configured  # noqa: E402


class Traffic:
    """A greenlet that wants a turn every 5 ms, as the sockets' readers and writers do."""

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self._greenlet = gevent.spawn(self._run)
        gevent.sleep(0.03)

    def _run(self) -> None:
        while True:
            self.ticks.append(time.perf_counter())
            gevent.sleep(0.005)

    def longest_gap_during(self, start: float, end: float) -> float:
        # From the last turn before the work to the first after it.
        around = [t for t in self.ticks if t < start][-1:] + [t for t in self.ticks if start <= t]
        around = [t for t in around if t <= end] + [t for t in around if t > end][:1]
        return max((b - a for a, b in zip(around, around[1:], strict=False)), default=end - start)

    def stop(self) -> None:
        self._greenlet.kill()


def timed(traffic: Traffic, sign, pdf: bytes) -> tuple[float, float]:
    gevent.sleep(0.02)  # a turn or two before the work starts
    start = time.perf_counter()
    signed = sign(pdf)
    end = time.perf_counter()
    gevent.sleep(0.02)
    assert b"/ByteRange" in signed
    return end - start, traffic.longest_gap_during(start, end)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds: a check that it works")
    parser.add_argument("--pages", type=int, default=12, help="pages of the signed PDF (default 12)")
    parser.add_argument("--rounds", type=int, help="signings of each kind (default 20)")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 20)
    if not args.quick:
        harness.wait_for_quiet()
    harness.print_machine({"pages": str(args.pages), "rounds": str(rounds)})

    with harness.workdir("signing") as work:
        cert, key = make_demo_certificate(work)
        pdf = harness.text_pdf(args.pages)

        def pyhanko_signs(data: bytes) -> bytes:
            signer = signers.SimpleSigner.load(str(key), str(cert))
            writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
            meta = signers.PdfSignatureMetadata(field_name="Sig", subfilter=fields.SigSeedSubFilter.PADES)
            return signers.sign_pdf(writer, meta, signer=signer).getvalue()

        def ecabinet_signs(data: bytes) -> bytes:
            return sign_if_configured(data, reason="Biên bản phiên họp Chính phủ")

        app = Flask("bench")
        app.config.update(ECABINET_SIGNING_CERT=str(cert), ECABINET_SIGNING_KEY=str(key))
        traffic = Traffic()
        results: dict[str, list[tuple[float, float]]] = {"pyHanko": [], "ecabinet": []}
        with app.app_context():
            first = timed(traffic, ecabinet_signs, pdf)
            for n in range(rounds):
                order = ("pyHanko", "ecabinet") if n % 2 == 0 else ("ecabinet", "pyHanko")
                for side in order:
                    results[side].append(
                        timed(traffic, pyhanko_signs if side == "pyHanko" else ecabinet_signs, pdf)
                    )
        traffic.stop()

    print(f"## signing a {args.pages}-page PDF while a greenlet wants a turn every 5 ms")
    print(
        f"  ecabinet, first signing (reads and checks the key): {first[0] * 1000:.1f} ms, "
        f"longest gap {first[1] * 1000:.1f} ms"
    )
    for side, rows in results.items():
        walls, gaps = [w for w, _ in rows], [g for _, g in rows]
        print(
            f"  {side}: signing {harness.summary_ms(walls)}; "
            f"longest gap p50={harness.percentile(gaps, 50) * 1000:.1f} ms max={max(gaps) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
