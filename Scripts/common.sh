# Shared by the scripts in Scripts/: finds swift and installs missing system packages (and
# those a script names in `extra_deps` before sourcing this, in the same apt-get run).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
"$root/Scripts/install-deps" ${extra_deps[@]+"${extra_deps[@]}"}
