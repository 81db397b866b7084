"""moto's server (an AWS emulator) for the AWS tests, on 127.0.0.1 only.

    with MotoServer() as moto:        # a free port, killed at the end
        s3 = moto.client("s3")        # boto3, pointed at it
        moto.env                      # AWS_* variables for the AWS CLI / eventbarrier

    with MotoServer(tls_dir=DIR) as moto:   # https, a self-signed certificate for
        moto.ca_file                         # 127.0.0.1 written to DIR (the CA to trust)

Run with the interpreter scripts/aws-python.sh prints (moto, boto3).
"""
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    """The server ends with the test even if the test is killed (PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class MotoServer:
    def __init__(self, log_path=None, extra_env=None, tls_dir=None):
        self.port = free_port()
        self.ca_file = self.key_file = None
        if tls_dir:
            self.ca_file, self.key_file = self_signed(tls_dir)
        self.url = f"{'https' if tls_dir else 'http'}://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.proc = None
        self.env = {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        self.server_env = dict(extra_env or {})

    def __enter__(self):
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        # moto.server's main, with this interpreter (no console script on PATH needed).
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from moto.server import main; main()",
             "-H", "127.0.0.1", "-p", str(self.port)] +
            (["-c", self.ca_file, "-k", self.key_file] if self.ca_file else []),
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env, **self.server_env},
            preexec_fn=die_with_parent)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=2,
                                       context=self.ssl_context()).read()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError("moto_server did not answer within 60 s")
                time.sleep(0.2)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def post(self, path, body):
        """POST JSON to moto's own API (e.g. /moto-api/config)."""
        import json
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        return urllib.request.urlopen(req, timeout=10, context=self.ssl_context()).read()

    def ssl_context(self):
        import ssl
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None

    def client(self, service):
        import boto3
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            verify=self.ca_file if self.ca_file else True)


def self_signed(directory):
    """A key and a self-signed certificate for 127.0.0.1 and localhost (cryptography,
    which moto itself depends on). Returns (cert.pem, key.pem)."""
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    os.makedirs(directory, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eventbarrier test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path
