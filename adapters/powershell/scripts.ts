// The one PowerShell script the gateway runs: constant text, never assembled from
// data. It is passed to pwsh with -EncodedCommand (argv holds only this constant);
// the server, the credential, identities, device ids and dates arrive afterwards as
// JSON frames on stdin (see protocol.ts), are decoded by the script, checked
// against a table of allowed operations and parameters, and passed to the cmdlet
// by splatting. Nothing a caller sends is ever parsed as PowerShell.
//
// Compatible with PowerShell 7 (the supported host) and Windows PowerShell 5.1:
// only 5.1 syntax and cmdlet parameters (a test parses it with PowerShell's own
// parser and rejects what 5.1 lacks), ConvertTo-Json always with -Depth and
// -Compress, dates written by the script itself in one ISO form.

/**
 * Cmdlets the service account may be asked to run: the original connector's RBAC
 * list, the 2013+ MobileDevice names, and Get-User (for UserPrincipalName, which
 * Get-CasMailbox does not return). The script can only import and run a subset of
 * these (OPERATIONS below, plus Set-ADServerSettings at start-up).
 */
export const ALLOWED_CMDLETS: readonly string[] = [
  'Get-ActiveSyncOrganizationSettings',
  'Set-ActiveSyncOrganizationSettings',
  'Get-CasMailbox',
  'Set-CasMailbox',
  'Get-ActiveSyncMailboxPolicy',
  'Set-ActiveSyncMailboxPolicy',
  'New-ActiveSyncMailboxPolicy',
  'Remove-ActiveSyncMailboxPolicy',
  'Get-ActiveSyncDeviceAccessRule',
  'Set-ActiveSyncDeviceAccessRule',
  'New-ActiveSyncDeviceAccessRule',
  'Remove-ActiveSyncDeviceAccessRule',
  'Get-ActiveSyncDeviceStatistics',
  'Get-ActiveSyncDevice',
  'Get-ExchangeServer',
  'Get-ActiveSyncDeviceClass',
  'Get-Recipient',
  'Clear-ActiveSyncDevice',
  'Remove-ActiveSyncDevice',
  'Set-ADServerSettings',
  'Get-Command',
  'Get-MobileDevice',
  'Get-MobileDeviceStatistics',
  'Clear-MobileDevice',
  'Remove-MobileDevice',
  'Get-User',
];

/** What the output records of a read operation are projected to (the `$Fields` table of the script). */
export type Projection = 'Device' | 'CasMailbox' | 'User' | 'OrgSettings' | 'Rule' | 'Server' | 'Statistics';

export interface Operation {
  /** Parameters a request may carry; anything else is refused by the script. */
  readonly params: readonly string[];
  /** Read operations stream their records, projected to these fields. */
  readonly select?: Projection;
  /** The script adds -Confirm:$false (destructive cmdlets prompt otherwise). */
  readonly confirm?: boolean;
}

/**
 * The operations the script dispatches (its `$Ops` table, mirrored here; a test
 * checks the two agree). `FirstSyncAfter` and `WithPartnership` are not cmdlet
 * parameters: the script turns them into constant -Filter texts.
 */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
  'Get-MobileDevice': { params: ['ResultSize', 'FirstSyncAfter'], select: 'Device' },
  'Get-ActiveSyncDevice': { params: ['ResultSize', 'FirstSyncAfter'], select: 'Device' },
  'Get-CasMailbox': { params: ['Identity', 'ResultSize', 'WithPartnership'], select: 'CasMailbox' },
  'Get-User': { params: ['Identity', 'ResultSize'], select: 'User' },
  'Get-ActiveSyncOrganizationSettings': { params: [], select: 'OrgSettings' },
  'Get-ActiveSyncDeviceAccessRule': { params: [], select: 'Rule' },
  'Get-ExchangeServer': { params: [], select: 'Server' },
  'Set-CasMailbox': { params: ['Identity', 'ActiveSyncAllowedDeviceIDs', 'ActiveSyncBlockedDeviceIDs'] },
  'Set-ActiveSyncOrganizationSettings': { params: ['DefaultAccessLevel', 'UserMailInsert', 'AdminMailRecipients'] },
  'New-ActiveSyncDeviceAccessRule': { params: ['Characteristic', 'QueryString', 'AccessLevel'] },
  'Set-ActiveSyncDeviceAccessRule': { params: ['Identity', 'AccessLevel'] },
  'Remove-ActiveSyncDeviceAccessRule': { params: ['Identity'], confirm: true },
  'Get-MobileDeviceStatistics': { params: ['Identity', 'Mailbox'], select: 'Statistics' },
  'Get-ActiveSyncDeviceStatistics': { params: ['Identity', 'Mailbox'], select: 'Statistics' },
  'Clear-MobileDevice': { params: ['Identity', 'AccountOnly'], confirm: true },
  'Clear-ActiveSyncDevice': { params: ['Identity'], confirm: true },
  'Remove-MobileDevice': { params: ['Identity'], confirm: true },
  'Remove-ActiveSyncDevice': { params: ['Identity'], confirm: true },
};

/** Fields of each projection (`name` or `name:type`, type date | list | bool), as in the script. */
export const PROJECTIONS: Readonly<Record<Projection, string>> = {
  Device:
    'Identity DistinguishedName Guid DeviceId DeviceType DeviceModel DeviceOS DeviceUserAgent FriendlyName FirstSyncTime:date UserDisplayName',
  CasMailbox:
    'Identity DistinguishedName Guid DisplayName Name PrimarySmtpAddress EmailAddresses:list ActiveSyncEnabled:bool ActiveSyncAllowedDeviceIDs:list ActiveSyncBlockedDeviceIDs:list',
  User: 'Identity DistinguishedName Guid UserPrincipalName',
  OrgSettings: 'Identity DefaultAccessLevel UserMailInsert AdminMailRecipients:list',
  Rule: 'Identity Name Characteristic QueryString AccessLevel',
  Server: 'Name Fqdn ServerRole IsClientAccessServer:bool AdminDisplayVersion',
  Statistics: 'Identity DeviceId LastSuccessSync:date Status DeviceWipeRequestTime:date DeviceWipeSentTime:date DeviceWipeAckTime:date',
};

/** How many records the script puts in one chunk frame. */
export const CHUNK_RECORDS = 200;

/** The margin the script subtracts from FirstSyncAfter in the server-side filter (the gateway filters exactly). */
export const FILTER_MARGIN_DAYS = 1;

/**
 * The script. Frames out: "\n" + "EASF1 <nonce> <length> <json>" + "\n", ASCII
 * only (non-ASCII escaped as \uXXXX), so that noise on stdout (Write-Host,
 * warnings, banners) can never be mistaken for a frame. End frames say whether
 * the remote session is still open ("open"); when it is not, the script removes
 * it and exits after the frame. Exit codes: 0 after Remove-PSSession, 2 connection failed (after a hello frame saying why), 3 bad
 * first frame. (Kept short: it travels base64-encoded on the command line, which
 * Windows caps at 32,767 characters. So its one explanation is here: connection
 * "module" imports a stand-in for Exchange (tests, labs) whose New-PSSession,
 * Import-PSSession and Remove-PSSession take the place of PowerShell's.)
 */
export const SCRIPT = String.raw`# eas-access-sync Exchange host, protocol EASF1. Constant text: every value arrives as data on stdin.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'
$ConfirmPreference = 'None'
$Invariant = [Globalization.CultureInfo]::InvariantCulture
$Marker = ''
$LF = [string][char]10
$Session = $null
$Ops = @{
  'Get-MobileDevice' = @{ Params = @('ResultSize', 'FirstSyncAfter'); Select = 'Device' }
  'Get-ActiveSyncDevice' = @{ Params = @('ResultSize', 'FirstSyncAfter'); Select = 'Device' }
  'Get-CasMailbox' = @{ Params = @('Identity', 'ResultSize', 'WithPartnership'); Select = 'CasMailbox' }
  'Get-User' = @{ Params = @('Identity', 'ResultSize'); Select = 'User' }
  'Get-ActiveSyncOrganizationSettings' = @{ Params = @(); Select = 'OrgSettings' }
  'Get-ActiveSyncDeviceAccessRule' = @{ Params = @(); Select = 'Rule' }
  'Get-ExchangeServer' = @{ Params = @(); Select = 'Server' }
  'Set-CasMailbox' = @{ Params = @('Identity', 'ActiveSyncAllowedDeviceIDs', 'ActiveSyncBlockedDeviceIDs') }
  'Set-ActiveSyncOrganizationSettings' = @{ Params = @('DefaultAccessLevel', 'UserMailInsert', 'AdminMailRecipients') }
  'New-ActiveSyncDeviceAccessRule' = @{ Params = @('Characteristic', 'QueryString', 'AccessLevel') }
  'Set-ActiveSyncDeviceAccessRule' = @{ Params = @('Identity', 'AccessLevel') }
  'Remove-ActiveSyncDeviceAccessRule' = @{ Params = @('Identity'); Confirm = $true }
  'Get-MobileDeviceStatistics' = @{ Params = @('Identity', 'Mailbox'); Select = 'Statistics' }
  'Get-ActiveSyncDeviceStatistics' = @{ Params = @('Identity', 'Mailbox'); Select = 'Statistics' }
  'Clear-MobileDevice' = @{ Params = @('Identity', 'AccountOnly'); Confirm = $true }
  'Clear-ActiveSyncDevice' = @{ Params = @('Identity'); Confirm = $true }
  'Remove-MobileDevice' = @{ Params = @('Identity'); Confirm = $true }
  'Remove-ActiveSyncDevice' = @{ Params = @('Identity'); Confirm = $true }
}
$Fields = @{
  Device = 'Identity DistinguishedName Guid DeviceId DeviceType DeviceModel DeviceOS DeviceUserAgent FriendlyName FirstSyncTime:date UserDisplayName'
  CasMailbox = 'Identity DistinguishedName Guid DisplayName Name PrimarySmtpAddress EmailAddresses:list ActiveSyncEnabled:bool ActiveSyncAllowedDeviceIDs:list ActiveSyncBlockedDeviceIDs:list'
  User = 'Identity DistinguishedName Guid UserPrincipalName'
  OrgSettings = 'Identity DefaultAccessLevel UserMailInsert AdminMailRecipients:list'
  Rule = 'Identity Name Characteristic QueryString AccessLevel'
  Server = 'Name Fqdn ServerRole IsClientAccessServer:bool AdminDisplayVersion'
  Statistics = 'Identity DeviceId LastSuccessSync:date Status DeviceWipeRequestTime:date DeviceWipeSentTime:date DeviceWipeAckTime:date'
}

function Send-Line([string]$Json) {
  $Json = $Json -replace '[\r\n]', ''
  $Json = [regex]::Replace($Json, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
  [Console]::Out.Write($LF + $Marker + $Json.Length + ' ' + $Json + $LF)
  [Console]::Out.Flush()
}

function ConvertFrom-Wire($Value) {
  if ($null -eq $Value) { return $null }
  if ($Value -is [bool]) { return $Value }
  if ($Value -is [string]) {
    $bytes = [Convert]::FromBase64String($Value)
    if ($bytes.Length % 2 -ne 0) { throw 'a string in the request is not UTF-16' }
    $chars = New-Object char[] ([int]($bytes.Length / 2))
    [Buffer]::BlockCopy($bytes, 0, $chars, 0, $bytes.Length)
    return [string]::new($chars)
  }
  if ($Value -is [System.Array]) {
    $list = New-Object 'System.Collections.Generic.List[object]'
    foreach ($item in $Value) { $list.Add((ConvertFrom-Wire $item)) }
    return ,$list.ToArray()
  }
  if ($Value -is [System.Management.Automation.PSCustomObject]) {
    $table = @{}
    foreach ($p in $Value.PSObject.Properties) {
      if (@('Add', 'Remove') -notcontains $p.Name) { throw 'only Add and Remove may be nested in a request' }
      $table[$p.Name] = ConvertFrom-Wire $p.Value
    }
    return $table
  }
  throw 'unsupported value in a request'
}

function Str($Value) { if ($null -eq $Value) { $null } else { [string]$Value } }

function Project([string]$Kind, $Object) {
  $record = [ordered]@{}
  foreach ($field in $Fields[$Kind].Split(' ')) {
    $name, $type = $field.Split(':')
    $v = $Object.$name
    if ($type -eq 'date') {
      if ($null -eq $v) { $record[$name] = $null }
      else { $record[$name] = ([DateTime]$v).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ', $Invariant) }
    } elseif ($type -eq 'list') {
      if ($null -eq $v) { $record[$name] = @() } else { $record[$name] = @(@($v) | ForEach-Object { [string]$_ }) }
    } elseif ($type -eq 'bool' -and $v -is [bool]) { $record[$name] = $v }
    else { $record[$name] = Str $v }
  }
  $record
}

function Get-ErrorInfo($Err) {
  $info = [ordered]@{ category = ''; reason = ''; fullyQualifiedErrorId = ''; message = [string]$Err }
  try {
    if ($null -ne $Err.CategoryInfo) { $info.category = [string]$Err.CategoryInfo.Category; $info.reason = [string]$Err.CategoryInfo.Reason }
    $info.fullyQualifiedErrorId = [string]$Err.FullyQualifiedErrorId
    if ($null -ne $Err.ErrorDetails -and $Err.ErrorDetails.Message) { $info.message = [string]$Err.ErrorDetails.Message }
    elseif ($null -ne $Err.Exception) { $info.message = [string]$Err.Exception.Message }
  } catch { }
  $info
}

function Get-Open { if ($null -ne $Session -and $Session.State -eq 'Opened') { 'true' } else { 'false' } }

function Send-Failure([long]$Id, $Info) {
  Send-Line ('{"t":"end","id":' + $Id + ',"ok":false,"open":' + (Get-Open) + ',"error":' + (ConvertTo-Json -InputObject $Info -Depth 2 -Compress) + '}')
}

function Send-Records([long]$Id, $Batch) {
  Send-Line ('{"t":"chunk","id":' + $Id + ',"records":' + (ConvertTo-Json -InputObject $Batch.ToArray() -Depth 4 -Compress) + '}')
}

function Invoke-Op($Request) {
  $id = [long]0
  try {
    $id = [long]$Request.id
    $op = [string]$Request.op
    if ($Request.t -ne 'call' -or -not $Ops.ContainsKey($op)) {
      Send-Failure $id ([ordered]@{ category = 'PermissionDenied'; reason = ''; fullyQualifiedErrorId = 'EasSync.OperationNotAllowed'; message = 'This operation is not in the allowlist.' })
      return
    }
    $spec = $Ops[$op]
    $splat = @{}
    if ($null -ne $Request.args) {
      foreach ($p in $Request.args.PSObject.Properties) {
        $name = $null
        foreach ($allowed in $spec.Params) { if ($allowed -eq $p.Name) { $name = $allowed } }
        if ($null -eq $name) {
          Send-Failure $id ([ordered]@{ category = 'InvalidArgument'; reason = ''; fullyQualifiedErrorId = 'EasSync.ParameterNotAllowed'; message = 'A parameter is not in the allowlist of this operation.' })
          return
        }
        $splat[$name] = ConvertFrom-Wire $p.Value
      }
    }
    if ($splat.ContainsKey('FirstSyncAfter')) {
      $after = [DateTime]::Parse([string]$splat['FirstSyncAfter'], $Invariant, [Globalization.DateTimeStyles]'AdjustToUniversal, AssumeUniversal')
      $splat.Remove('FirstSyncAfter')
      $splat['Filter'] = "FirstSyncTime -gt '" + $after.AddDays(-1).ToString('yyyy-MM-ddTHH:mm:ss', $Invariant) + "'"
    }
    if ($splat.ContainsKey('WithPartnership')) {
      if ($splat['WithPartnership'] -eq $true) { $splat['Filter'] = 'HasActiveSyncDevicePartnership -eq $true' }
      $splat.Remove('WithPartnership')
    }
    if ($spec.Confirm) { $splat['Confirm'] = $false }
    $splat['ErrorAction'] = 'Stop'
    $splat['WarningAction'] = 'SilentlyContinue'
    $splat['WarningVariable'] = 'opWarnings'
    $opWarnings = @()
    $count = 0
    if ($spec.Select) {
      $batch = New-Object 'System.Collections.Generic.List[object]'
      & $op @splat | ForEach-Object {
        $batch.Add((Project $spec.Select $_))
        $count++
        if ($batch.Count -ge 200) { Send-Records $id $batch; $batch.Clear() }
      }
      if ($batch.Count -gt 0) { Send-Records $id $batch }
    } else {
      $null = & $op @splat
    }
    $warnings = New-Object 'System.Collections.Generic.List[object]'
    foreach ($w in $opWarnings) { $warnings.Add([string]$w) }
    $warnings = $warnings.ToArray()
    Send-Line ('{"t":"end","id":' + $id + ',"ok":true,"open":' + (Get-Open) + ',"count":' + $count + ',"warnings":' + (ConvertTo-Json -InputObject $warnings -Depth 2 -Compress) + '}')
  } catch {
    Send-Failure $id (Get-ErrorInfo $_)
  }
}

$first = [Console]::In.ReadLine()
$connect = $null
try { $connect = ConvertFrom-Json -InputObject $first } catch { }
if ($null -eq $connect -or $connect.t -ne 'connect' -or ([string]$connect.nonce) -notmatch '^[A-Za-z0-9]{16,64}$') {
  [Console]::Error.WriteLine('eas-sync host: the first frame must be a connect frame')
  exit 3
}
$Marker = 'EASF1 ' + $connect.nonce + ' '
try {
  $uri = ConvertFrom-Wire $connect.connectionUri
  $auth = ConvertFrom-Wire $connect.authentication
  if ($uri -notmatch '^https?://[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?/PowerShell/?$') { throw 'The connection URI must be http(s)://<server>/PowerShell/.' }
  if (@('Kerberos', 'Basic', 'Negotiate', 'Default') -notcontains $auth) { throw 'Unsupported authentication.' }
  if ($null -ne $connect.module) {
    Import-Module -Name (ConvertFrom-Wire $connect.module) -DisableNameChecking -ErrorAction Stop
  }
  $sessionArgs = @{ ConfigurationName = 'Microsoft.Exchange'; ConnectionUri = $uri; Authentication = $auth; ErrorAction = 'Stop' }
  if ($connect.allowRedirection -eq $true) { $sessionArgs['AllowRedirection'] = $true }
  if ($connect.skipCertificateCheck -eq $true) { $sessionArgs['SessionOption'] = New-PSSessionOption -SkipCACheck -SkipCNCheck -SkipRevocationCheck }
  if ($null -ne $connect.username) {
    $secret = ConvertTo-SecureString -String (ConvertFrom-Wire $connect.password) -AsPlainText -Force
    $sessionArgs['Credential'] = New-Object System.Management.Automation.PSCredential ((ConvertFrom-Wire $connect.username), $secret)
    $secret = $null
  }
  $connect = $null
  $Session = New-PSSession @sessionArgs
  $sessionArgs = $null
  $patterns = @(@($Ops.Keys) + 'Set-ADServerSettings' | ForEach-Object { $_.Substring(0, $_.Length - 1) + '[' + $_.Substring($_.Length - 1) + ']' })
  $module = Import-PSSession -Session $Session -CommandName $patterns -DisableNameChecking -AllowClobber -ErrorAction Stop
  $cmdlets = @(Get-Command -Module $module.Name | ForEach-Object { $_.Name })
  $helloWarnings = @()
  if ($cmdlets -contains 'Set-ADServerSettings') {
    try { Set-ADServerSettings -ViewEntireForest $true -ErrorAction Stop -WarningAction SilentlyContinue }
    catch { $helloWarnings += ('Set-ADServerSettings -ViewEntireForest failed: ' + $_.Exception.Message) }
  } else { $helloWarnings += 'Set-ADServerSettings is not available to this account: recipients in other domains of the forest may be missed.' }
  $hello = [ordered]@{ t = 'hello'; ok = $true; psVersion = $PSVersionTable.PSVersion.ToString(); cmdlets = [object[]]$cmdlets; warnings = [object[]]$helloWarnings }
  Send-Line (ConvertTo-Json -InputObject $hello -Depth 4 -Compress)
} catch {
  $failure = [ordered]@{ t = 'hello'; ok = $false; error = (Get-ErrorInfo $_) }
  Send-Line (ConvertTo-Json -InputObject $failure -Depth 4 -Compress)
  if ($null -ne $Session) { Remove-PSSession -Session $Session -ErrorAction SilentlyContinue }
  exit 2
}

while ($true) {
  $line = [Console]::In.ReadLine()
  if ($null -eq $line) { break }
  if ($line.Trim().Length -eq 0) { continue }
  $request = $null
  try { $request = ConvertFrom-Json -InputObject $line } catch {
    Send-Failure 0 ([ordered]@{ category = 'ParserError'; reason = ''; fullyQualifiedErrorId = 'EasSync.BadFrame'; message = 'A request frame is not valid JSON.' })
    continue
  }
  if ($request.t -eq 'close') { break }
  Invoke-Op $request
  if ($Session.State -ne 'Opened') { break }
}
Remove-PSSession -Session $Session -ErrorAction SilentlyContinue
Send-Line '{"t":"bye"}'
exit 0
`;
