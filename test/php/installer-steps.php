<?php
/**
 * Runs the install helpers (plesk-ext/plib/library/Installer.php) that need no Plesk: the secret file
 * and the service unit. argv[1]: secret path; argv[2]: rendered-unit output path.
 * Prints one JSON line: {"created": [bool, bool], "mode": "600", "secret": "..."}.
 */
require __DIR__ . '/pm-stand-in.php';
require __DIR__ . '/../../plesk-ext/plib/library/Config.php';
require __DIR__ . '/../../plesk-ext/plib/library/Installer.php';

$secretPath = $argv[1];
$created = [
    Modules_PassengerPanel_Installer::ensureSecret($secretPath, null),
    Modules_PassengerPanel_Installer::ensureSecret($secretPath, null),
];
clearstatcache();
$unit = Modules_PassengerPanel_Installer::renderUnit(
    file_get_contents(__DIR__ . '/../../plesk-ext/plib/resources/passenger-panel.service'),
    [
        '@BACKEND_DIR@' => Modules_PassengerPanel_Config::BACKEND_DIR,
        '@NODE@' => '/opt/plesk/node/22/bin/node',
        '@PORT@' => (string)Modules_PassengerPanel_Config::BACKEND_PORT,
        '@PROXY_PATH@' => Modules_PassengerPanel_Config::PROXY_PATH,
        '@SECRET@' => $secretPath,
    ]
);
Modules_PassengerPanel_Installer::writeFile($argv[2], $unit, 0644);
echo json_encode([
    'created' => $created,
    'mode' => sprintf('%o', fileperms($secretPath) & 0777),
    'secret' => trim(file_get_contents($secretPath)),
]), "\n";
