<?php
/**
 * Mints the short-lived token the backend accepts (backend/src/web/token.ts verifies it).
 *
 * Wire form: "pp1." . base64url(JSON claims) . "." . base64url(HMAC-SHA256(secret, "pp1." . claims part)).
 * The secret is hex in a 0600 file created by post-install.php; it never leaves this host.
 */
class Modules_PassengerPanel_Token
{
    const PREFIX = 'pp1';

    /** @var string raw secret bytes */
    private $secret;

    /**
     * @param string $secretHex the content of the secret file
     * @throws pm_Exception when the secret is not at least 32 bytes of hex
     */
    public function __construct($secretHex)
    {
        $secretHex = trim($secretHex);
        if (!preg_match('/^[0-9a-fA-F]{64,}$/', $secretHex) || strlen($secretHex) % 2 !== 0) {
            throw new pm_Exception('The Passenger Panel token secret is damaged; reinstall the extension to create it again.');
        }
        $this->secret = hex2bin($secretHex);
    }

    /** Reads the secret that post-install.php created. */
    public static function fromSecretFile($path)
    {
        $hex = @file_get_contents($path);
        if ($hex === false) {
            throw new pm_Exception("Cannot read the Passenger Panel token secret $path; reinstall the extension to create it.");
        }
        return new self($hex);
    }

    /**
     * @param string $user Plesk login
     * @param string $role admin | reseller | customer
     * @param string|string[] $domains '*' for admins, otherwise the ASCII domain names the user may manage
     * @param string|null $open the domain whose button was clicked
     * @param int $lifetimeSeconds
     * @param int|null $now for tests
     * @return string
     */
    public function mint($user, $role, $domains, $open, $lifetimeSeconds, $now = null)
    {
        if (!in_array($role, ['admin', 'reseller', 'customer'], true)) {
            throw new pm_Exception("Unknown role $role.");
        }
        if ($domains === '*' && $role !== 'admin') {
            throw new pm_Exception('Only administrators may hold every domain.');
        }
        $now = $now === null ? time() : (int)$now;
        $claims = [
            'v' => 1,
            'iss' => 'plesk',
            'sub' => (string)$user,
            'role' => $role,
            'domains' => $domains === '*' ? '*' : array_values(array_map('strtolower', $domains)),
            'open' => $open === null ? null : strtolower($open),
            'iat' => $now,
            'exp' => $now + (int)$lifetimeSeconds,
            'jti' => bin2hex(random_bytes(16)),
        ];
        $json = json_encode($claims, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
        $signed = self::PREFIX . '.' . self::base64url($json);
        return $signed . '.' . self::base64url(hash_hmac('sha256', $signed, $this->secret, true));
    }

    private static function base64url($bytes)
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }
}
