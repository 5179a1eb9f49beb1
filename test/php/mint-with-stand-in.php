<?php
/**
 * Runs the extension's real token code (plesk-ext/plib/library) against the pm_ stand-in.
 * argv[1]: JSON {"world": {...}, "action": "admin"|"domain"|"raw", "siteId"?: int, raw: user/role/domains/open/lifetime/now}
 * Prints the launch (JSON: the form's action, token and next) on success; on refusal prints the message to stderr and exits 3.
 */
require __DIR__ . '/pm-stand-in.php';

spl_autoload_register(function ($class) {
    $prefix = 'Modules_PassengerPanel_';
    if (strpos($class, $prefix) === 0) {
        require __DIR__ . '/../../plesk-ext/plib/library/' . str_replace('_', '/', substr($class, strlen($prefix))) . '.php';
    }
});

$request = json_decode($argv[1], true, 32, JSON_THROW_ON_ERROR);
$world = $request['world'];
$world['domains'] = array_combine(array_map('intval', array_keys($world['domains'])), array_values($world['domains']));
pm_StandIn_World::$world = $world;

try {
    if ($request['action'] === 'raw') {
        // Straight to the Token class with a chosen clock and lifetime (expired / over-long tokens).
        $token = Modules_PassengerPanel_Token::fromSecretFile(Modules_PassengerPanel_Config::secretPath());
        echo $token->mint($request['user'], $request['role'], $request['domains'], $request['open'], $request['lifetime'], $request['now']), "\n";
        exit(0);
    }
    $claims = $request['action'] === 'admin'
        ? Modules_PassengerPanel_Access::forAdmin()
        : Modules_PassengerPanel_Access::forDomain($request['siteId']);
    echo json_encode(Modules_PassengerPanel_Launch::forClaims($claims), JSON_UNESCAPED_SLASHES), "\n";
} catch (pm_Exception $e) {
    fwrite(STDERR, $e->getMessage() . "\n");
    exit(3);
}
