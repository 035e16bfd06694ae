<#
  Builds the WSL Fleet agent's bundled runtime on a Windows build machine with a JDK 17+ (jlink, jpackage on PATH)
  and WiX 3 (jpackage needs it only for -Type msi). Output: out\WslFleetAgent\ (an app image: WslFleetAgent.exe,
  runtime\, app\) and, with -Msi, out\WslFleetAgent-<version>.msi.

  It cannot run on the project's Linux CI or sandbox: jpackage builds Windows images only on Windows.

  Usage:  .\build-runtime.ps1 -AgentDir ..\..\windows-agent\target [-Version 0.1.0] [-Msi]
  (first: ./mvnw -pl windows-agent -am package -DskipTests, which leaves the jar and target\lib\)
#>
param(
    [Parameter(Mandatory = $true)][string]$AgentDir,
    [string]$Version = "0.1.0",
    [switch]$Msi
)
$ErrorActionPreference = "Stop"

$jar = Get-ChildItem -Path $AgentDir -Filter "windows-agent-*.jar" | Where-Object { $_.Name -notmatch "sources|tests" } | Select-Object -First 1
if (-not $jar) { throw "no windows-agent jar in $AgentDir (run the Maven package first)" }

$input = Join-Path $PSScriptRoot "out\input"
Remove-Item -Recurse -Force (Join-Path $PSScriptRoot "out") -ErrorAction SilentlyContinue
New-Item -ItemType Directory -Force $input | Out-Null
Copy-Item $jar.FullName $input
Copy-Item (Join-Path $AgentDir "lib\*.jar") $input

# the modules the agent and its libraries use (jdeps would find the same; listed so the build is reproducible)
$modules = "java.base,java.logging,java.management,java.net.http,java.naming,java.security.jgss,java.xml,jdk.crypto.ec,jdk.unsupported"
$runtime = Join-Path $PSScriptRoot "out\runtime"
jlink --add-modules $modules --strip-debug --no-header-files --no-man-pages --compress=2 --output $runtime
if ($LASTEXITCODE -ne 0) { throw "jlink failed" }

# the same JVM settings as LaunchDefaults.JVM_OPTIONS (idle under 128 MB resident)
$javaOptions = @("-Xms8m", "-Xmx48m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
    "-XX:CICompilerCount=1", "-XX:ReservedCodeCacheSize=16m", "-XX:MaxMetaspaceSize=48m",
    "-XX:MaxDirectMemorySize=16m", "-XX:-UsePerfData", "-Xshare:auto")
$jpArgs = @("--name", "WslFleetAgent", "--app-version", $Version, "--vendor", "WSL Fleet",
    "--input", $input, "--main-jar", $jar.Name, "--main-class", "io.wslfleet.agent.AgentMain",
    "--runtime-image", $runtime, "--dest", (Join-Path $PSScriptRoot "out"))
foreach ($o in $javaOptions) { $jpArgs += @("--java-options", $o) }

jpackage --type app-image @jpArgs
if ($LASTEXITCODE -ne 0) { throw "jpackage app-image failed" }
if ($Msi) {
    jpackage --type msi --win-per-user-install --win-dir-chooser @jpArgs
    if ($LASTEXITCODE -ne 0) { throw "jpackage msi failed" }
}
Write-Host "built $(Join-Path $PSScriptRoot 'out\WslFleetAgent')"
