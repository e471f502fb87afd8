# Sourced by the device_*.sh scripts on a lent GPU machine, which has PyTorch but not this package's other needs
# and no network: installs the wheels carried in .whl (see each script's header for the download) into /tmp/site
# and puts them and this checkout on PYTHONPATH.
if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
else
    export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
python3 -c "import torch; print(torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name())"
