# Parses a script (path in $env:EAS_AST_SCRIPT) with PowerShell's own parser and
# writes, as JSON, its parse errors and what a Windows PowerShell 5.1 check needs:
# every AST node's type with its line, and the details that tell 7-only syntax apart.
$text = [IO.File]::ReadAllText($env:EAS_AST_SCRIPT)
$tokens = $null
$errors = $null
$ast = [System.Management.Automation.Language.Parser]::ParseInput($text, [ref]$tokens, [ref]$errors)
$nodes = New-Object 'System.Collections.Generic.List[object]'
foreach ($n in $ast.FindAll({ $true }, $true)) {
  $o = [ordered]@{ type = $n.GetType().Name; line = $n.Extent.StartLineNumber; text = $n.Extent.Text.Substring(0, [Math]::Min(80, $n.Extent.Text.Length)) }
  switch ($n.GetType().Name) {
    'CommandAst' {
      $o.name = $n.GetCommandName()
      $o.parameters = @($n.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object { $_.ParameterName })
      $o.splatted = @($n.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.VariableExpressionAst] -and $_.Splatted } | ForEach-Object { $_.VariablePath.UserPath })
    }
    'BinaryExpressionAst' { $o.operator = [string]$n.Operator }
    'AssignmentStatementAst' { $o.operator = [string]$n.Operator }
    'UnaryExpressionAst' { $o.operator = [string]$n.TokenKind }
    'MemberExpressionAst' { $o.nullConditional = [bool]$n.NullConditional; $o.static = [bool]$n.Static; $o.member = [string]$n.Member }
    'InvokeMemberExpressionAst' { $o.nullConditional = [bool]$n.NullConditional; $o.static = [bool]$n.Static; $o.member = [string]$n.Member; $o.target = [string]$n.Expression }
    'IndexExpressionAst' { $o.nullConditional = [bool]$n.NullConditional }
    'PipelineAst' { $o.background = [bool]$n.Background }
    'VariableExpressionAst' { $o.name = $n.VariablePath.UserPath }
    'TypeExpressionAst' { $o.typeName = $n.TypeName.FullName }
    'TypeConstraintAst' { $o.typeName = $n.TypeName.FullName }
    'ConvertExpressionAst' { $o.typeName = $n.Type.TypeName.FullName }
    'ScriptBlockAst' { $o.clean = $null -ne $n.CleanBlock }
  }
  $nodes.Add($o)
}
$expandable = @($tokens | Where-Object { $_.Kind -eq 'StringExpandable' -or $_.Kind -eq 'HereStringExpandable' } | ForEach-Object { $_.Text })
$out = [ordered]@{ errors = @($errors | ForEach-Object { $_.Message + ' (line ' + $_.Extent.StartLineNumber + ')' }); nodes = $nodes.ToArray(); expandable = $expandable }
[Console]::Out.Write((ConvertTo-Json -InputObject $out -Depth 6 -Compress))
